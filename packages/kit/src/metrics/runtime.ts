import { collectDefaultMetrics, type Registry, type RegistryContentType } from 'prom-client';
import { PROM_CLIENT_EVENT_LOOP_LAG_NAMES, registerEventLoopLag } from './event-loop-lag.js';
import { PROM_CLIENT_HEAP_NAMES, registerHeapMetrics, registerHeapSpaceMetrics } from './heap-gauges.js';
import { PROM_CLIENT_PROC_SELF_NAMES, registerProcSelfMetrics } from './process-gauges.js';

/**
 * A sampling interval under which prom-client's own delay histogram, which it starts whatever is
 * registered afterwards, never takes a sample (about 24 days).
 */
const INERT_RESOLUTION_MS = 2 ** 31 - 1;

/**
 * prom-client's default runtime metrics, under its names, but the event-loop lag, the heap gauges and,
 * on Linux, the `/proc/self` gauges from the kit's own collectors, which cost a scrape less
 * (event-loop-lag.ts, heap-gauges.ts, process-gauges.ts).
 */
export function registerRuntimeMetrics(registry: Registry<RegistryContentType>): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: INERT_RESOLUTION_MS });
  const linux = process.platform === 'linux';
  for (const name of [...PROM_CLIENT_EVENT_LOOP_LAG_NAMES, ...PROM_CLIENT_HEAP_NAMES, ...(linux ? PROM_CLIENT_PROC_SELF_NAMES : [])]) {
    registry.removeSingleMetric(name);
  }
  registerEventLoopLag(registry);
  registerHeapMetrics(registry);
  registerHeapSpaceMetrics(registry);
  if (linux) registerProcSelfMetrics(registry);
}
