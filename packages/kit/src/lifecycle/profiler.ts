import type { Logger } from 'pino';
import type { ServiceEnv } from '../config.js';
import { Profiler } from '../profiling/profiler.js';

/** The on-demand profiler; heap sampling runs from the start so a heap profile covers the whole life of the process. */
export function startProfiler(env: ServiceEnv, logger: Logger): Profiler {
  const profiler = new Profiler({
    logger,
    cpuIntervalMicros: env.CPU_PROFILE_INTERVAL_US,
    heapIntervalBytes: env.HEAP_PROFILE_INTERVAL_BYTES,
    heapSnapshotEnabled: env.HEAP_SNAPSHOT_ENABLED,
  });
  profiler.startHeapSampling();
  return profiler;
}
