import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

export interface BackendProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with how the process ended. */
  exited: Promise<string>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnBackendOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Every line the process writes, stdout and stderr. */
  output: (name: string, line: string) => void;
  /** A Node child gets an IPC channel, whose 'disconnect' tells it the caller is gone. */
  ipc?: boolean;
}

export function spawnBackend(options: SpawnBackendOptions): BackendProcess {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl+C reaches only the caller, which stops the processes in its
    // own order (the collector after the services, so it can still deliver what they flushed).
    detached: true,
  });
  let alive = true;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      alive = false;
      resolve(`could not be started (${error.message})`);
    });
    child.once('exit', (code, signal) => {
      alive = false;
      resolve(signal === null ? `exited with code ${code}` : `was killed by ${signal}`);
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => options.output(options.name, line));
  }
  return {
    name: options.name,
    child,
    exited,
    running: () => alive,
    async stop(graceMs = 10_000) {
      if (!alive) return;
      child.kill('SIGTERM');
      const timeout = new AbortController();
      const outcome = await Promise.race([exited.then(() => 'exited'), delay(graceMs, 'timeout', { signal: timeout.signal }).catch(() => 'exited')]);
      timeout.abort();
      if (outcome === 'timeout' && alive) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `url` until it answers 2xx; fails as soon as the process ends or `timeoutMs` passes. */
export async function waitUntilReady(backend: BackendProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!backend.running()) throw new Error(`${backend.name} ${await backend.exited} before it was ready (GET ${url}: ${last})`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? String(error.cause instanceof Error ? error.cause : error.message) : String(error);
    }
    await delay(250);
  }
  throw new Error(`${backend.name} was not ready within ${timeoutMs / 1000} s (GET ${url}: ${last})`);
}

/** Whether a process with this pid exists (one owned by another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
