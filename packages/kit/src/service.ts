import { componentLogger } from './logger.js';
import type { RunningService, ServiceDefinition } from './lifecycle/definition.js';
import { faultsFromEnvironment } from './lifecycle/faults.js';
import { inboundSettings } from './lifecycle/inbound-settings.js';
import { createListeners, listen, reportStarted } from './lifecycle/listeners.js';
import { startProfiler } from './lifecycle/profiler.js';
import { gracefulShutdown } from './lifecycle/shutdown.js';
import { stopOnSignals, stopWhenSupervisorGone } from './lifecycle/signals.js';

export type { RunningService, ServiceDefinition, ShutdownHook } from './lifecycle/definition.js';
export { runMain } from './lifecycle/run-main.js';

/**
 * Starts the public and admin listeners and installs graceful shutdown: on SIGTERM or SIGINT the
 * service reports not-ready, stops accepting connections, lets in-flight requests finish up to
 * SHUTDOWN_TIMEOUT_MS, runs the shutdown hooks and exits 0. A second signal exits at once.
 */
export async function startService(definition: ServiceDefinition): Promise<RunningService> {
  const { env, logger } = definition;
  const lifecycleLogger = componentLogger(logger, 'lifecycle');
  const faults = faultsFromEnvironment(env, definition.routes, componentLogger(logger, 'faults'));
  const profiler = startProfiler(env, componentLogger(logger, 'profiling'));
  const inbound = inboundSettings(env, lifecycleLogger);
  const listeners = createListeners(definition, { faults, profiler, inbound });
  const addresses = await listen(listeners, definition);
  const shutdown = gracefulShutdown(definition, listeners, faults, lifecycleLogger);
  stopOnSignals(shutdown, logger, lifecycleLogger);
  stopWhenSupervisorGone(shutdown, logger);
  reportStarted(lifecycleLogger, addresses, definition.version);
  return { apiPort: addresses.apiPort, adminPort: addresses.adminPort, faults, shutdown };
}
