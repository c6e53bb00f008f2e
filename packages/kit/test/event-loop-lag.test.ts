import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { registerEventLoopLag } from '../src/metrics/event-loop-lag.js';

function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // A blocked event loop is what the gauges report.
  }
}

async function readings(target: Registry): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const metric of await target.getMetricsAsJSON()) {
    const value = metric.values[0]?.value;
    if (metric.name.startsWith('nodejs_eventloop_lag') && value !== undefined) values[metric.name] = value;
  }
  return values;
}

test('each scrape reports the delays since the previous one, in seconds', async () => {
  const target = new Registry();
  registerEventLoopLag(target);
  await sleep(50);
  await readings(target);
  // The histogram measures from its first sample after a reset.
  await sleep(20);
  blockLoop(150);
  await sleep(30);
  const blocked = await readings(target);
  assert.ok(blocked['nodejs_eventloop_lag_max_seconds']! >= 0.15, `max ${blocked['nodejs_eventloop_lag_max_seconds']} s after a 150 ms block`);
  assert.ok(blocked['nodejs_eventloop_lag_p99_seconds']! >= 0.15, `p99 ${blocked['nodejs_eventloop_lag_p99_seconds']} s after a 150 ms block`);
  const { nodejs_eventloop_lag_min_seconds: min, nodejs_eventloop_lag_mean_seconds: mean, nodejs_eventloop_lag_p50_seconds: p50 } = blocked;
  assert.ok(min! > 0 && min! <= mean! && mean! <= blocked['nodejs_eventloop_lag_max_seconds']!, JSON.stringify(blocked));
  assert.ok(p50! <= blocked['nodejs_eventloop_lag_p90_seconds']! && blocked['nodejs_eventloop_lag_p90_seconds']! <= blocked['nodejs_eventloop_lag_p99_seconds']!);

  await sleep(100);
  const quiet = await readings(target);
  assert.ok(quiet['nodejs_eventloop_lag_max_seconds']! < 0.15, `the block is not reported again: max ${quiet['nodejs_eventloop_lag_max_seconds']} s`);
  // The lag of one setImmediate, measured at the previous scrape.
  assert.ok(quiet['nodejs_eventloop_lag_seconds']! > 0 && quiet['nodejs_eventloop_lag_seconds']! < 0.15);
});
