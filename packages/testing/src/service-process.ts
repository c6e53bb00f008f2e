import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { killOnExit } from './cleanup.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  /** Used in error messages and as the `[name]` prefix of echoed logs. */
  name: string;
  /** Executable; defaults to the current Node binary. */
  command?: string;
  args: string[];
  /** Merged over process.env; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** When set, startProcess resolves only once GET readyUrl answers 200. */
  readyUrl?: string;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /**
   * `collect` (default) keeps every stdout line for lines()/waitForLine(); `drain` reads and drops it, as
   * a container runtime's log pipe would, for load runs where parsing every line in the load generator's
   * own process would slow the load down.
   */
  stdout?: 'collect' | 'drain';
}

export type LinePredicate = (line: string, json?: Record<string, unknown>) => boolean;

export interface RunningProcess {
  readonly pid: number;
  readonly name: string;
  /** False once the process has exited. */
  readonly running: boolean;
  /** Resolves after the process has exited and its output has been collected. */
  readonly exited: Promise<ExitStatus>;
  /** All stdout and stderr lines so far, in arrival order. */
  lines(): string[];
  /** The lines that parsed as JSON objects. */
  jsonLines(): Record<string, unknown>[];
  /** Resolves with the first line (already seen or future) matching; default timeout 10 s. */
  waitForLine(predicate: LinePredicate, timeoutMs?: number): Promise<string>;
  signal(sig: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM), then SIGKILL if still alive after timeoutMs (default 10 s). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

/**
 * Generous on purpose: with several test files starting processes at once on two cores, a start can
 * wait long for CPU. The wait ends when the process is ready, and at once when it exits.
 */
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_LINE_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const READY_POLL_INTERVAL_MS = 50;
const OUTPUT_TAIL_LINES = 100;

export async function startProcess(options: StartProcessOptions): Promise<RunningProcess> {
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd,
    env: mergeEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    const [error] = (await once(child, 'error')) as [Error];
    throw new Error(`${options.name}: could not start ${options.command ?? process.execPath}: ${error.message}`);
  }
  killOnExit(child);
  const running = new ServiceProcess(options.name, child, child.pid, options.stdout ?? 'collect');
  if (options.readyUrl !== undefined) {
    await waitUntilReady(running, options.readyUrl, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  }
  return running;
}

function mergeEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries({ ...process.env, ...overrides })) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}

interface LogEntry {
  line: string;
  json?: Record<string, unknown>;
}

class ServiceProcess implements RunningProcess {
  readonly exited: Promise<ExitStatus>;
  private readonly entries: LogEntry[] = [];
  private readonly lineListeners = new Set<(entry: LogEntry) => void>();
  private readonly echo = process.env.TEST_SHOW_SERVICE_LOGS === '1';

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly pid: number,
    stdout: 'collect' | 'drain',
  ) {
    this.exited = settled(child);
    // Without a listener a late 'error' (e.g. a failed kill) would crash the test process.
    child.on('error', (error) => this.record(`[testing] child process error: ${error.message}`));
    if (stdout === 'collect') this.collect(child.stdout);
    else child.stdout?.resume();
    this.collect(child.stderr);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  lines(): string[] {
    return this.entries.map((entry) => entry.line);
  }

  jsonLines(): Record<string, unknown>[] {
    return this.entries.flatMap((entry) => (entry.json === undefined ? [] : [entry.json]));
  }

  /** The last lines of output, for error messages. */
  outputTail(count = OUTPUT_TAIL_LINES): string {
    const tail = this.lines().slice(-count);
    return tail.length === 0 ? '(no output)' : tail.join('\n');
  }

  waitForLine(predicate: LinePredicate, timeoutMs = DEFAULT_LINE_TIMEOUT_MS): Promise<string> {
    const seen = this.entries.find((entry) => predicate(entry.line, entry.json));
    if (seen !== undefined) return Promise.resolve(seen.line);
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, line = ''): void => {
        clearTimeout(timer);
        this.lineListeners.delete(onLine);
        if (error) reject(error);
        else resolve(line);
      };
      const onLine = (entry: LogEntry): void => {
        try {
          if (predicate(entry.line, entry.json)) finish(undefined, entry.line);
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.name}: no matching output line within ${timeoutMs} ms.\n${this.outputTail()}`)),
        timeoutMs,
      );
      this.lineListeners.add(onLine);
      void this.exited.then((status) =>
        finish(new Error(`${this.name} ${describeExit(status)} before printing a matching line.\n${this.outputTail()}`)),
      );
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitStatus> {
    this.signal(signal);
    const timeout = new AbortController();
    const status = await Promise.race([
      this.exited,
      delay(timeoutMs, undefined, { signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
    if (status !== undefined) return status;
    this.signal('SIGKILL');
    return this.exited;
  }

  private collect(stream: Readable | null): void {
    if (stream === null) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.record(line));
  }

  private record(line: string): void {
    const entry: LogEntry = { line };
    const json = parseJsonObject(line);
    if (json !== undefined) entry.json = json;
    this.entries.push(entry);
    if (this.echo) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const listener of this.lineListeners) listener(entry);
  }
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves on 'close' (exited and stdout/stderr drained), so callers see every line.
 * Falls back to shortly after 'exit' in case a grandchild keeps the pipes open.
 */
function settled(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    let fallback: NodeJS.Timeout | undefined;
    child.once('exit', (code, signal) => {
      fallback = setTimeout(() => resolve({ code, signal }), 500);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(fallback);
      resolve({ code, signal });
    });
  });
}

export function describeExit(status: ExitStatus): string {
  return status.signal === null ? `exited with code ${status.code}` : `was killed by ${status.signal}`;
}

async function waitUntilReady(proc: ServiceProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'not polled yet';
  while (Date.now() < deadline) {
    if (!proc.running) {
      const status = await proc.exited;
      throw new Error(`${proc.name} ${describeExit(status)} before ${url} answered 200.\n${proc.outputTail()}`);
    }
    lastProblem = await probe(url, Math.max(1, Math.min(1_000, deadline - Date.now())));
    if (lastProblem === '') return;
    await delay(READY_POLL_INTERVAL_MS);
  }
  await proc.stop('SIGKILL');
  throw new Error(
    `${proc.name} was not ready within ${timeoutMs} ms: GET ${url} gave ${lastProblem}. It was killed.\n${proc.outputTail()}`,
  );
}

/** Returns '' when `url` answers 200, otherwise what went wrong. */
async function probe(url: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200 ? '' : `status ${response.status}`;
  } catch (error) {
    return describeFetchError(error);
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause ? String(cause.code) : cause.message})`;
  return error.message;
}
