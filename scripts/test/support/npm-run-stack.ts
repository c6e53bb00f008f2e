import { randomInt } from 'node:crypto';
import path from 'node:path';
import { freePortSet, startProcess, type RunningProcess } from '@cinemetrics/testing';
import { servicePorts } from '../../src/start.js';
import { stackPorts } from '../../src/stack/ports.js';

const STACK_JS = path.resolve(__dirname, '../../src/stack.js');

/** Every port `npm run stack` would use with these settings. */
export function allPorts(portBase: number, stackPortOffset: number): number[] {
  return [...servicePorts(portBase).flatMap((s) => [s.port, s.adminPort]), ...Object.values(stackPorts(stackPortOffset))];
}

/**
 * A CINEMETRICS_STACK_PORT_OFFSET whose fourteen stack ports are free, reserved for this process and
 * clear of the services' ports at `portBase`; the highest stays below Linux's ephemeral range.
 */
export async function freeStackPortOffset(portBase: number): Promise<number> {
  const servicePortSet = new Set(allPorts(portBase, 0).slice(0, 8));
  let offset = 0;
  await freePortSet(() => {
    do offset = 1_000 + randomInt(15_000);
    while (Object.values(stackPorts(offset)).some((port) => servicePortSet.has(port)));
    return Object.values(stackPorts(offset));
  }, 50);
  return offset;
}

/** Runs the compiled `npm run stack` (what the npm script runs after building) with colour off. */
export function npmRunStack(env: Record<string, string | undefined>, args: string[] = []): Promise<RunningProcess> {
  return startProcess({ name: 'stack', args: [STACK_JS, ...args], env: { NO_COLOR: '1', CINEMETRICS_READY_TIMEOUT_MS: '60000', ...env } });
}

/** Each process the command started, from its "<name> started|is ready, pid N" lines. */
export function startedPids(proc: RunningProcess): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of proc.lines()) {
    const match = /^\[stack\]\s+([\w-]+) (?:started|restarted|is ready), pid (\d+)/.exec(line);
    if (match?.[1] && match[2]) pids.set(match[1], Number(match[2]));
  }
  return pids;
}
