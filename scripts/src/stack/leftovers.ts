import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isAlive, type BackendProcess } from '@cinemetrics/stack';
import { StartError } from '../start/config.js';

/**
 * The Go backends cannot notice that `npm run stack` was killed (the services and the load generator
 * can), so each run records who it started in the data folder, and the next run stops what a killed
 * run left behind before checking its ports.
 */
interface RunRecord {
  /** The `npm run stack` process that started the backends. */
  owner: number;
  backends: { name: string; pid: number; command: string }[];
}

const RECORD_FILE = 'running.json';
const STOP_GRACE_MS = 10_000;

/** The executable `pid` runs, from /proc; undefined when it is gone or cannot be read. */
async function executableOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0];
  } catch {
    return undefined;
  }
}

export async function recordRun(dataDir: string, backends: readonly BackendProcess[]): Promise<void> {
  const record: RunRecord = {
    owner: process.pid,
    backends: backends.flatMap((backend) => (backend.child.pid === undefined ? [] : [{ name: backend.name, pid: backend.child.pid, command: backend.child.spawnfile }])),
  };
  await writeFile(path.join(dataDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function forgetRun(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, RECORD_FILE), { force: true });
}

/**
 * Stops the backends an earlier, killed run left running (only processes still running the recorded
 * executable). Refuses to start beside a run that is still alive on the same data folder.
 */
export async function stopLeftovers(dataDir: string, say: (line: string) => void): Promise<void> {
  let record: RunRecord;
  try {
    record = JSON.parse(await readFile(path.join(dataDir, RECORD_FILE), 'utf8')) as RunRecord;
  } catch {
    return;
  }
  if (record.owner !== process.pid && isAlive(record.owner)) {
    throw new StartError(
      `another npm run stack (pid ${record.owner}) is running on ${dataDir}: stop it, or give this one its own CINEMETRICS_STACK_DATA_DIR (and ports)`,
    );
  }
  const left = [];
  for (const backend of record.backends) if ((await executableOf(backend.pid)) === backend.command) left.push(backend);
  if (left.length > 0) {
    say(`an earlier npm run stack was killed and left ${left.map((b) => `${b.name} (pid ${b.pid})`).join(', ')} running: stopping them`);
    for (const backend of left) process.kill(backend.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (left.some((backend) => isAlive(backend.pid)) && Date.now() < deadline) await delay(100);
    for (const backend of left) if (isAlive(backend.pid)) process.kill(backend.pid, 'SIGKILL');
  }
  await forgetRun(dataDir);
}
