import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuOfAll } from '../src/fanout-load.js';

test('cpuOfAll counts what the processes used since it was called: all threads, and the main threads among them', () => {
  const since = cpuOfAll([process.pid]);
  const start = process.threadCpuUsage();
  let burned = 0;
  while (burned < 30_000) {
    const { user, system } = process.threadCpuUsage(start);
    burned = user + system;
  }
  const used = since();
  assert.ok(used.mainThreadSeconds >= 0.029, `main thread: ${used.mainThreadSeconds} s for a 30 ms burn`);
  assert.ok(used.seconds >= used.mainThreadSeconds, `all threads (${used.seconds} s) include the main thread (${used.mainThreadSeconds} s)`);
  assert.ok(used.mainThreadSeconds < 0.2, 'nothing counted from before the call');
});
