import assert from 'node:assert/strict';
import { test } from 'node:test';
import { residentMemory, rssMiB } from '../src/proc-stats.js';

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
