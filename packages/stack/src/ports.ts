import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from './process.js';

/**
 * Every port the native stack listens on (all on loopback). A type rather than an interface, so
 * `Object.values` and `Object.entries` know the values are numbers.
 */
export type StackPorts = {
  collectorOtlpGrpc: number;
  collectorOtlpHttp: number;
  collectorHealth: number;
  collectorMetrics: number;
  jaegerOtlpGrpc: number;
  jaegerOtlpHttp: number;
  jaegerQuery: number;
  jaegerQueryGrpc: number;
  jaegerHealth: number;
  jaegerMetrics: number;
  prometheus: number;
  alertmanager: number;
  victorialogs: number;
};

/** The ports `npm run stack` uses, as docs/stack.md lists them. */
export const DEFAULT_STACK_PORTS: StackPorts = {
  collectorOtlpGrpc: 4317,
  collectorOtlpHttp: 4318,
  collectorHealth: 13133,
  collectorMetrics: 8888,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerHealth: 13134,
  jaegerMetrics: 8889,
  prometheus: 9090,
  alertmanager: 9093,
  victorialogs: 9428,
};

/**
 * Ports handed out for second copies and tests: below the kernel's ephemeral range (32768 and up on
 * Linux), where any process's outgoing connection can take a port between the moment it was found free
 * and the moment the new listener binds it, the `npm start` tests pick their blocks above it (20000 up).
 */
const HANDED_OUT = { first: 10_240, last: 19_999 };
/** Where freePortBase's bases lie: the highest base's ports stay below the ephemeral range. */
const PORT_BASES = { first: 20_000, last: 32_000 };
const DEFAULT_PORTS = new Set(Object.values(DEFAULT_STACK_PORTS));
/** One file per handed-out port, naming the process that holds it, shared by every process on the machine. */
const RESERVATIONS = path.join(os.tmpdir(), 'cinemetrics-port-reservations');
const reservedHere = new Set<number>();
let reservationsFolderMade = false;

/** Claims `port` for this process unless a living process holds it; a dead holder's claim is taken over. */
function reserve(port: number): boolean {
  const file = path.join(RESERVATIONS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(file, 'utf8'));
    if (holder === process.pid || isAlive(holder)) return false;
    const claim = `${file}.${process.pid}`;
    writeFileSync(claim, String(process.pid));
    renameSync(claim, file);
    // Two processes taking over the same stale claim at once: the last rename wins, the other backs off.
    if (Number(readFileSync(file, 'utf8')) !== process.pid) return false;
  }
  if (reservedHere.size === 0) process.once('exit', releaseReservations);
  reservedHere.add(port);
  return true;
}

function release(port: number): void {
  rmSync(path.join(RESERVATIONS, String(port)), { force: true });
  reservedHere.delete(port);
}

function releaseReservations(): void {
  for (const port of reservedHere) release(port);
}

/** Whether nothing listens on `port`, on any address. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback TCP port nothing listens on, reserved for this process among all processes that use
 * this module (tests run several files at once, and worktrees run beside each other): no two of
 * them get the same port while the first lives, and no outgoing connection takes it meanwhile.
 */
export async function freePort(): Promise<number> {
  const [port] = await freePortSet(() => [randomInt(HANDED_OUT.first, HANDED_OUT.last + 1)], 500);
  return port!;
}

/**
 * Ports that must be free together (a block after a port base, a set after a port offset), reserved
 * for this process like `freePort`'s: `candidate` proposes one set per attempt, until a set is found
 * whose every port is unreserved and free. A set with one of the stack's default ports is passed over.
 */
export async function freePortSet(candidate: () => readonly number[], attempts = 100): Promise<readonly number[]> {
  if (!reservationsFolderMade) {
    mkdirSync(RESERVATIONS, { recursive: true });
    reservationsFolderMade = true;
  }
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const ports = candidate();
    if (ports.some((port) => DEFAULT_PORTS.has(port))) continue;
    const claimed: number[] = [];
    let free = true;
    for (const port of ports) {
      free = reserve(port);
      if (!free) break;
      claimed.push(port);
      free = await canListen(port);
      if (!free) break;
    }
    if (free) return ports;
    for (const port of claimed) release(port);
  }
  throw new Error(`no free set of ports found in ${attempts} attempts`);
}

/**
 * A port base B (as `npm start`'s CINEMETRICS_PORT_BASE) whose ports B+offset are all free and reserved
 * for this process, like freePortSet's. B is a multiple of ten from 20000 up, above the ports freePort
 * hands out and below the kernel's ephemeral range.
 */
export async function freePortBase(offsets: readonly number[]): Promise<number> {
  const [first = 0] = await freePortSet(() => {
    const base = PORT_BASES.first + randomInt((PORT_BASES.last - PORT_BASES.first) / 10) * 10;
    return offsets.map((offset) => base + offset);
  }, 50);
  return first - (offsets[0] ?? 0);
}

/** A distinct free loopback port for each of the stack's listeners (tests run beside a real stack). */
export async function freeStackPorts(): Promise<StackPorts> {
  const entries: [keyof StackPorts, number][] = [];
  for (const key of Object.keys(DEFAULT_STACK_PORTS) as (keyof StackPorts)[]) entries.push([key, await freePort()]);
  return Object.fromEntries(entries) as unknown as StackPorts;
}
