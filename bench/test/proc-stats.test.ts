import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { cpuSecondsBetween, readCpu, residentMemory, rssMiB, type CpuReading } from '../src/proc-stats.js';

/**
 * A process that burns the CPU it is told to (in µs) each time it reads a line, answers with what
 * `process.cpuUsage` says it used, and sleeps in between: read from outside while it sleeps, as the
 * fan-out reads the services between windows.
 */
const BURNER = `
  const lines = require('node:readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const start = process.cpuUsage();
    let used = 0;
    while (used < Number(line)) { const { user, system } = process.cpuUsage(start); used = user + system; }
    process.stdout.write(used + '\\n');
  });
`;

test('the CPU between two readings of a process agrees with its own count to the millisecond, finer than the kernel’s 10 ms ticks', async () => {
  const burner = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const answers = createInterface({ input: burner.stdout })[Symbol.asyncIterator]();
    const burn = async (micros: number): Promise<number> => {
      burner.stdin.write(`${micros}\n`);
      const answer = await answers.next();
      // Let it go back to sleep, so the scheduler has settled its time.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return Number(answer.value) / 1e6;
    };
    // Until the loop is compiled: the compiler's threads count in the readings, not in its own count.
    for (let warmup = 0; warmup < 5; warmup += 1) await burn(5_000);
    for (const micros of [3_000, 7_000, 12_000]) {
      const before = readCpu(burner.pid ?? 0);
      const ownCount = await burn(micros);
      const measured = cpuSecondsBetween(before, readCpu(burner.pid ?? 0));
      assert.ok(before.threadNanoseconds !== undefined, 'this kernel keeps schedstat');
      // Its count covers the burn alone; the readings also take in reading the line and writing the answer.
      const message = `${(measured * 1e3).toFixed(2)} ms measured for ${(ownCount * 1e3).toFixed(2)} ms used`;
      assert.ok(measured > ownCount - 0.0002 && measured < ownCount + 0.002, message);
    }
  } finally {
    burner.kill();
  }
});

test('a thread gone between the readings sends the count back to the ticks, which keep its time; a new thread counts from zero', () => {
  const reading = (seconds: number, threads: Record<string, number>): CpuReading => ({ seconds, threadNanoseconds: new Map(Object.entries(threads)) });
  assert.equal(cpuSecondsBetween(reading(1, { 10: 1e9, 11: 2e9 }), reading(1.5, { 10: 1.2e9, 11: 2.1e9, 12: 0.05e9 })), 0.35);
  assert.equal(cpuSecondsBetween(reading(1, { 10: 1e9, 11: 2e9 }), reading(1.5, { 10: 1.2e9 })), 0.5);
  assert.equal(cpuSecondsBetween({ seconds: 1, threadNanoseconds: undefined }, reading(1.25, { 10: 1e9 })), 0.25);
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
