import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Last-resort cleanup for tests that forget to stop what they started: when the test
 * process exits (normally, or through SIGINT/SIGTERM/SIGHUP) every child still running
 * is SIGKILLed and every registered temp directory is removed. SIGKILL of the test
 * process itself cannot be intercepted.
 */

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

/** Kills `child` when the test process exits, unless it has exited by then. */
export function killOnExit(child: ChildProcess): void {
  installHandlers();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Removes `dir` when the test process exits; the returned function cancels that. */
export function removeOnExit(dir: string): () => void {
  installHandlers();
  tempDirs.add(dir);
  return () => {
    tempDirs.delete(dir);
  };
}

function cleanUpNow(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Nothing useful can be done while the process is exiting.
    }
  }
  tempDirs.clear();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUpNow();
      // Our listener suppressed the default "terminate" action; re-raise it unless
      // someone else listens for this signal and takes responsibility for exiting.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
