import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ServiceOutput } from '../start/report.js';

/**
 * One log file per process under `dir`, so the terminal keeps only the command's own messages. Each
 * run starts new files and keeps the previous run's as `<name>.previous.log`: bounded, and the last
 * run is still there to read after a restart.
 */
export class LogFiles implements ServiceOutput {
  private readonly files = new Map<string, WriteStream>();

  constructor(readonly dir: string) {}

  pathOf(name: string): string {
    return path.join(this.dir, `${name}.log`);
  }

  write(name: string, line: string): void {
    this.file(name).write(`${line}\n`);
  }

  attach(child: ChildProcess, name: string): void {
    for (const stream of [child.stdout, child.stderr]) this.copy(stream, name);
  }

  whereIs(name: string): string {
    return `its output is in ${this.pathOf(name)}`;
  }

  async close(): Promise<void> {
    const open = [...this.files.values()];
    this.files.clear();
    for (const file of open) file.end();
    await Promise.all(open.map((file) => finished(file).catch(() => undefined)));
  }

  private copy(stream: Readable | null, name: string): void {
    if (stream === null) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.write(name, line));
  }

  private file(name: string): WriteStream {
    let file = this.files.get(name);
    if (file === undefined) {
      mkdirSync(this.dir, { recursive: true });
      const current = this.pathOf(name);
      if (existsSync(current)) renameSync(current, path.join(this.dir, `${name}.previous.log`));
      file = createWriteStream(current);
      this.files.set(name, file);
    }
    return file;
  }
}
