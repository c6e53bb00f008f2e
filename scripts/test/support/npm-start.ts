import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { freePortBase as freePortBaseFor, startProcess, type RunningProcess } from '@cinemetrics/testing';
import { servicePorts } from '../../src/start.js';

const START_JS = path.resolve(__dirname, '../../src/start.js');

/** The last line of the start script's banner: every service is up and the demo data step has finished. */
export const READY_LINE = (line: string): boolean => line.includes('Press Ctrl+C to stop.');

export function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, exclusive: true }, () => resolve(server));
  });
}

/** A CINEMETRICS_PORT_BASE whose eight service ports are free and reserved for this process. */
export function freePortBase(): Promise<number> {
  return freePortBaseFor(servicePorts(0).flatMap((s) => [s.port, s.adminPort]));
}

/** The latest pid of each service, from the start script's "<name> started|restarted, pid N" lines. */
export function servicePids(proc: RunningProcess): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of proc.lines()) {
    const match = /\[(?:start|stack)\]\s+(\w+) (?:started|restarted), pid (\d+)/.exec(line);
    if (match?.[1] && match[2]) pids.set(match[1], Number(match[2]));
  }
  return pids;
}

export { isAlive } from '@cinemetrics/stack';

/** Runs the compiled start script (what `npm start` runs after building) with colour off. */
export async function npmStart(env: Record<string, string | undefined>, args: string[] = []): Promise<RunningProcess> {
  return startProcess({ name: 'start', args: [START_JS, ...args], env: { NO_COLOR: '1', CINEMETRICS_READY_TIMEOUT_MS: '60000', ...env } });
}

/** SIGINT, as Ctrl+C would send, and the exit status. */
export async function interrupt(proc: RunningProcess): Promise<void> {
  proc.signal('SIGINT');
  const status = await proc.exited;
  assert.deepEqual(status, { code: 0, signal: null }, proc.lines().slice(-30).join('\n'));
}

export { eventually } from '@cinemetrics/testing';

/** For a test's `finally`: SIGTERM lets the start script stop its services (SIGKILL would orphan them). */
export const STOP_TIMEOUT_MS = 20_000;
