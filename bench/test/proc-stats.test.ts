import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { cpuSecondsBetween, mainThreadCpuSecondsBetween, readCpu, residentMemory, rssMiB, type CpuReading } from '../src/proc-stats.js';

/**
 * A process that burns the CPU it is told to (in µs) each time it reads a line, answers with what
 * `process.cpuUsage` (all its threads) and `process.threadCpuUsage` (its main thread) say it used, and
 * sleeps in between: read from outside while it sleeps, as the fan-out reads the services between windows.
 */
const BURNER = `
  const lines = require('node:readline').createInterface({ input: process.stdin });
  const sum = ({ user, system }) => user + system;
  lines.on('line', (line) => {
    const start = process.cpuUsage();
    const mainStart = process.threadCpuUsage();
    let used = 0;
    while (used < Number(line)) used = sum(process.cpuUsage(start));
    process.stdout.write(used + ' ' + sum(process.threadCpuUsage(mainStart)) + '\\n');
  });
`;

test('the CPU between two readings of a process agrees with its own count to the millisecond, finer than the kernel’s 10 ms ticks', async () => {
  const burner = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const answers = createInterface({ input: burner.stdout })[Symbol.asyncIterator]();
    const burn = async (micros: number): Promise<{ all: number; main: number }> => {
      burner.stdin.write(`${micros}\n`);
      const answer = await answers.next();
      // Let it go back to sleep, so the scheduler has settled its time.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [all, main] = String(answer.value).split(' ').map((micros) => Number(micros) / 1e6);
      return { all: all ?? Number.NaN, main: main ?? Number.NaN };
    };
    // Until the loop is compiled: the compiler's threads count in the readings, not in its own count.
    for (let warmup = 0; warmup < 5; warmup += 1) await burn(5_000);
    for (const micros of [3_000, 7_000, 12_000]) {
      const before = readCpu(burner.pid ?? 0);
      const ownCount = await burn(micros);
      const after = readCpu(burner.pid ?? 0);
      assert.ok(before.threadNanoseconds !== undefined, 'this kernel keeps schedstat');
      // Its count covers the burn alone; the readings also take in reading the line and writing the answer.
      const readings = [
        ['all threads', cpuSecondsBetween(before, after), ownCount.all],
        ['the main thread', mainThreadCpuSecondsBetween(before, after), ownCount.main],
      ] as const;
      for (const [what, measured, used] of readings) {
        const message = `${what}: ${(measured * 1e3).toFixed(2)} ms measured for ${(used * 1e3).toFixed(2)} ms used`;
        assert.ok(measured > used - 0.0002 && measured < used + 0.002, message);
      }
    }
  } finally {
    burner.kill();
  }
});

test('a thread gone between the readings sends the count back to the ticks, which keep its time; a new thread counts from zero', () => {
  const reading = (seconds: number, threads: Record<string, number>): CpuReading => ({ pid: 10, seconds, mainThreadSeconds: seconds / 2, threadNanoseconds: new Map(Object.entries(threads)) });
  assert.equal(cpuSecondsBetween(reading(1, { 10: 1e9, 11: 2e9 }), reading(1.5, { 10: 1.2e9, 11: 2.1e9, 12: 0.05e9 })), 0.35);
  assert.equal(cpuSecondsBetween(reading(1, { 10: 1e9, 11: 2e9 }), reading(1.5, { 10: 1.2e9 })), 0.5);
  assert.equal(cpuSecondsBetween({ pid: 10, seconds: 1, mainThreadSeconds: 0.5, threadNanoseconds: undefined }, reading(1.25, { 10: 1e9 })), 0.25);
});

test('the main thread’s CPU between two readings comes from its own nanoseconds, or from its ticks where a reading has none', () => {
  const reading = (mainThreadSeconds: number, threads: Record<string, number> | undefined): CpuReading => ({
    pid: 10,
    seconds: 3,
    mainThreadSeconds,
    threadNanoseconds: threads && new Map(Object.entries(threads)),
  });
  assert.equal(mainThreadCpuSecondsBetween(reading(1, { 10: 1e9, 11: 5e9 }), reading(1.2, { 10: 1.125e9, 11: 6e9 })), 0.125);
  assert.equal(mainThreadCpuSecondsBetween(reading(1, undefined), reading(1.25, { 10: 1e9 })), 0.25);
});

function total(pid: number): number {
  const { mallocMainArena, mallocThreadArenas, otherAnonymous, files } = residentMemory(pid);
  return mallocMainArena + mallocThreadArenas + otherAnonymous + files;
}

test('the resident memory by kind of mapping adds up to the RSS, and a large native block shows outside the malloc arenas and files', () => {
  const rss = rssMiB(process.pid);
  assert.ok(Math.abs(total(process.pid) - rss) < Math.max(4, rss * 0.05), `${total(process.pid)} MiB in parts against ${rss} MiB RSS`);
  const before = residentMemory(process.pid);
  // Larger than glibc's mmap threshold: a mapping of its own, resident once written.
  const block = Buffer.allocUnsafeSlow(64 * 1024 * 1024).fill(1);
  const after = residentMemory(process.pid);
  assert.ok(after.otherAnonymous - before.otherAnonymous >= 60, `other anonymous grew by ${after.otherAnonymous - before.otherAnonymous} MiB`);
  assert.ok(after.files - before.files < 8);
  assert.equal(block.at(-1), 1);
});
