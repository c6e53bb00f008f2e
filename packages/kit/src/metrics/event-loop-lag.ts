import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Gauge, Registry, RegistryContentType } from 'prom-client';
import { registeredGauge } from './registered-gauge.js';

/** prom-client's default sampling interval of the delay histogram. */
const RESOLUTION_MS = 10;

/** The names prom-client's default event-loop lag collector registers, its standard deviation included. */
export const PROM_CLIENT_EVENT_LOOP_LAG_NAMES = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

/**
 * prom-client's event-loop lag gauges, with its names, help texts and meaning (the delay's distribution
 * since the previous scrape, and the lag of one `setImmediate` as last measured), but without
 * `nodejs_eventloop_lag_stddev_seconds`: node computes a histogram's standard deviation by walking every
 * bucket up to its largest value, and that walk was the costliest reading of a scrape
 * (docs/performance.md, *Scrape*).
 */
export function registerEventLoopLag(registry: Registry<RegistryContentType>): void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const gauge = (name: string, help: string, aggregator: 'average' | 'min' | 'max', collect?: () => void): Gauge =>
    registeredGauge(registry, `nodejs_eventloop_lag_${name}seconds`, help, { aggregator, collect });
  // Registered in prom-client's order; the first one's collect sets them all.
  const lag = gauge('', 'Lag of event loop in seconds.', 'average', () => {
    const started = process.hrtime.bigint();
    setImmediate(() => lag.set(Number(process.hrtime.bigint() - started) / 1e9));
    // An interval without a sample has no distribution: the gauges keep the last one.
    if (histogram.count === 0) return;
    min.set(histogram.min / 1e9);
    max.set(histogram.max / 1e9);
    mean.set(histogram.mean / 1e9);
    for (const { percentile, reading } of percentiles) reading.set(histogram.percentile(percentile) / 1e9);
    histogram.reset();
  });
  const min = gauge('min_', 'The minimum recorded event loop delay.', 'min');
  const max = gauge('max_', 'The maximum recorded event loop delay.', 'max');
  const mean = gauge('mean_', 'The mean of the recorded event loop delays.', 'average');
  const percentiles = ([50, 90, 99] as const).map((percentile) => ({
    percentile,
    reading: gauge(`p${percentile}_`, `The ${percentile}th percentile of the recorded event loop delays.`, 'average'),
  }));
}
