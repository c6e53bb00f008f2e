import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registry } from '../src/metrics/registry.js';
import { registerHeapMetrics } from '../src/metrics/heap-gauges.js';
import { registerProcSelfMetrics } from '../src/metrics/process-gauges.js';

const MiB = 1024 * 1024;

async function readings(target: Registry): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const metric of await target.getMetricsAsJSON()) {
    const value = metric.values[0]?.value;
    if (value !== undefined) values[metric.name] = value;
  }
  return values;
}

test("the kit's registry has every one of prom-client's default metrics, each once, with its type and help, but the lag's standard deviation", async () => {
  const promClient = new Registry();
  collectDefaultMetrics({ register: promClient });
  const kit = await registry.getMetricsAsJSON();
  const kitNames = kit.map((metric) => metric.name);
  assert.equal(new Set(kitNames).size, kitNames.length, 'no name twice');
  for (const expected of await promClient.getMetricsAsJSON()) {
    if (expected.name === 'nodejs_eventloop_lag_stddev_seconds') {
      assert.ok(!kitNames.includes(expected.name));
      continue;
    }
    const found = kit.find((metric) => metric.name === expected.name);
    assert.ok(found, `${expected.name} is in the kit's registry`);
    assert.equal(found.type, expected.type, expected.name);
    assert.equal(found.help, expected.help, expected.name);
  }
  assert.ok(kitNames.includes('nodejs_heap_size_limit_bytes'));
});

test('the heap gauges report V8s heap, its limit and the memory held outside it', async () => {
  const target = new Registry();
  registerHeapMetrics(target);
  const before = await readings(target);
  const held = Buffer.alloc(32 * MiB, 1);
  const after = await readings(target);
  assert.ok(held.length > 0);
  const used = after['nodejs_heap_size_used_bytes']!;
  const total = after['nodejs_heap_size_total_bytes']!;
  assert.ok(used > 0 && used <= total && total <= after['nodejs_heap_size_limit_bytes']!, JSON.stringify(after));
  const grew = after['nodejs_external_memory_bytes']! - before['nodejs_external_memory_bytes']!;
  assert.ok(grew >= 32 * MiB, `external memory grew by ${grew} bytes for a 32 MiB buffer`);
});

// The /proc gauges are Linux's; under CI, which runs on Linux, a test that cannot run must fail, not skip.
test('the /proc/self gauges report the resident set, virtual memory, data segment and open descriptors', { skip: process.platform !== 'linux' && process.env['CI'] !== 'true' }, async () => {
  const target = new Registry();
  registerProcSelfMetrics(target);
  // The resident set moves while the gauges are read (a collection can give back tens of MiB, such as
  // the buffer the test above let go): the gauge must fall within what Node reports just before and after.
  const rssBefore = process.memoryUsage.rss();
  const before = await readings(target);
  const rssAfter = process.memoryUsage.rss();
  const resident = before['process_resident_memory_bytes']!;
  const [low, high] = [Math.min(rssBefore, rssAfter) * 0.8, Math.max(rssBefore, rssAfter) * 1.2];
  assert.ok(resident >= low && resident <= high, `resident ${resident} bytes, process.memoryUsage.rss() ${rssBefore} before and ${rssAfter} after`);
  assert.ok(before['process_virtual_memory_bytes']! > resident, JSON.stringify(before));
  assert.ok(before['process_heap_bytes']! > 0, JSON.stringify(before));

  // The first reading opened the descriptor the status file is read through from then on, while the
  // descriptors were being listed: whether the listing saw it is a race. Count from a later reading.
  const settled = await readings(target);
  const files = await Promise.all(Array.from({ length: 5 }, () => open(__filename, 'r')));
  try {
    const opened = await readings(target);
    assert.equal(opened['process_open_fds']! - settled['process_open_fds']!, 5, 'five files opened, five more descriptors');
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
});
