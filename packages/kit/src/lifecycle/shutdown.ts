import type { Logger } from 'pino';
import { getTelemetry, LOG_WORKER_LAST_EXPORT_MS } from '@cinemetrics/telemetry';
import type { FaultInjector } from '../faults/injector.js';
import type { ServiceDefinition, ShutdownHook } from './definition.js';
import type { Listeners } from './listeners.js';
import { withinMs } from '../time-bound.js';

/**
 * Exports what telemetry still holds, within `budgetMs`. The collector may be the problem (down, slow):
 * then what could not be delivered is dropped and the process still stops, with one warning rather than
 * an error, since the service itself did nothing wrong.
 */
export async function flushTelemetry(logger: Logger, budgetMs: number): Promise<void> {
  const telemetry = getTelemetry();
  if (!telemetry) return;
  try {
    await withinMs(telemetry.shutdown(budgetMs), budgetMs);
  } catch (error) {
    logger.warn({ err: error, timeout_ms: budgetMs }, 'telemetry not flushed; spans and log records not yet exported are dropped');
  }
}

async function runHooks(hooks: readonly ShutdownHook[], logger: Logger, budgetMs: number): Promise<void> {
  for (const hook of hooks) {
    try {
      await withinMs(hook.run(), budgetMs);
    } catch (error) {
      logger.error({ err: error, hook: hook.name }, 'shutdown hook failed');
    }
  }
}

/**
 * The least time the last telemetry flush gets, however long the drain took: with a collector that is
 * up it needs milliseconds, and the requests the drain waited for are the ones worth their spans.
 */
const MIN_TELEMETRY_FLUSH_MS = 1000;

/**
 * How far past SHUTDOWN_TIMEOUT_MS a stop may run: the last flush's least time, then the end of the log
 * worker. A platform's grace period (compose's stop_grace_period, Kubernetes' terminationGracePeriodSeconds
 * after the preStop pause) must exceed SHUTDOWN_TIMEOUT_MS by more than this.
 */
export const SHUTDOWN_OVERRUN_MS = MIN_TELEMETRY_FLUSH_MS + LOG_WORKER_LAST_EXPORT_MS;

export type Shutdown = {
  (reason: string): Promise<void>;
  /** True once a shutdown has begun. */
  readonly started: boolean;
};

/**
 * The graceful shutdown, run once however often it is asked for: report not-ready, stop accepting
 * connections, let in-flight requests finish up to SHUTDOWN_TIMEOUT_MS, run the shutdown hooks, close
 * the admin listener, and flush telemetry last, within what is left of SHUTDOWN_TIMEOUT_MS (at least
 * MIN_TELEMETRY_FLUSH_MS): a stop with the collector down still fits the platform's grace period.
 */
export function gracefulShutdown(definition: ServiceDefinition, { api, admin }: Listeners, faults: FaultInjector, logger: Logger): Shutdown {
  const { env } = definition;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const started = performance.now();
      logger.info({ reason, in_flight: api.activeRequests }, 'shutdown started');
      definition.health.markStopping();
      api.beginDrain();
      faults.releaseHangs();
      const drained = await api.drained(env.SHUTDOWN_TIMEOUT_MS);
      if (!drained) {
        logger.warn({ in_flight: api.activeRequests, timeout_ms: env.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; closing remaining connections');
        api.closeAll();
      }
      const hookBudgetMs = Math.max(1000, env.SHUTDOWN_TIMEOUT_MS);
      await runHooks(definition.shutdownHooks ?? [], logger, hookBudgetMs);
      admin.beginDrain();
      admin.closeAll();
      logger.info({ duration_ms: Math.round(performance.now() - started), drained }, 'shutdown complete');
      // Last, so the spans and log records of everything above are exported too.
      const leftMs = env.SHUTDOWN_TIMEOUT_MS - (performance.now() - started);
      await flushTelemetry(logger, Math.max(MIN_TELEMETRY_FLUSH_MS, Math.round(leftMs)));
    })();
    return stopping;
  };
  return Object.defineProperty(shutdown, 'started', { get: () => stopping !== undefined }) as Shutdown;
}
