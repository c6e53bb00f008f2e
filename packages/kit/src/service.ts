import type Router from '@koa/router';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { ServiceEnv } from './config.js';
import { ConfigError } from './config.js';
import type { HealthRegistry } from './health.js';
import { createAdminApp } from './http/admin-app.js';
import { createApiApp } from './http/api-app.js';
import { DrainableListener } from './http/listener.js';
import type { Route } from './http/route.js';
import { componentLogger } from './logger.js';
import { listenerTimeoutsFromEnv } from './http/listener.js';
import { protectionSettingsFromEnv } from './protection/settings.js';
import { faultsRouter } from './faults/admin.js';
import { FaultInjector, UnknownFaultRouteError } from './faults/injector.js';
import { profilingRouter } from './profiling/admin.js';
import { profilingLabels } from './profiling/labels.js';
import { Profiler } from './profiling/profiler.js';
import { getTelemetry } from '@cinemetrics/telemetry';
import type { TokenVerifier } from './auth/token-verifier.js';

/** The repository's licence, which every service's OpenAPI document names. */
const PROJECT_LICENSE = { name: 'Apache-2.0', identifier: 'Apache-2.0' };

export type ShutdownHook = { name: string; run: () => Promise<void> };

export interface ServiceDefinition {
  name: string;
  version: string;
  description: string;
  env: ServiceEnv;
  logger: Logger;
  routes: readonly Route[];
  health: HealthRegistry;
  /** Run after in-flight requests drained, in order: close pools, flush telemetry. */
  shutdownHooks?: readonly ShutdownHook[];
  apiMiddleware?: readonly Koa.Middleware[];
  adminRouters?: readonly Router[];
  /** Host the API listener binds; all interfaces by default (containers). The admin listener binds ADMIN_HOST. */
  host?: string;
  /** Checks bearer tokens on the public routes. */
  verifier: TokenVerifier;
  /** Guards the admin routes (ADMIN_TOKEN or an admin JWT). */
  adminAccess: Koa.Middleware;
}

export interface RunningService {
  apiPort: number;
  adminPort: number;
  /** The fault rules in force (also switchable through `/admin/faults`). */
  faults: FaultInjector;
  shutdown(reason: string): Promise<void>;
}

/** Exports what telemetry still holds, within `budgetMs`: the collector may be the problem. */
async function flushTelemetry(logger: Logger, budgetMs: number): Promise<void> {
  const telemetry = getTelemetry();
  if (telemetry) await runHooks([{ name: 'flush telemetry', run: () => telemetry.shutdown() }], logger, budgetMs);
}

async function runHooks(hooks: readonly ShutdownHook[], logger: Logger, budgetMs: number): Promise<void> {
  for (const hook of hooks) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        hook.run(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${budgetMs} ms`)), budgetMs);
        }),
      ]);
    } catch (error) {
      logger.error({ err: error, hook: hook.name }, 'shutdown hook failed');
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts the public and admin listeners and installs graceful shutdown: on SIGTERM or SIGINT the
 * service reports not-ready, stops accepting connections, lets in-flight requests finish up to
 * SHUTDOWN_TIMEOUT_MS, runs the shutdown hooks and exits 0. A second signal exits at once.
 */
export async function startService(definition: ServiceDefinition): Promise<RunningService> {
  const { env, logger } = definition;
  const lifecycleLogger = componentLogger(logger, 'lifecycle');
  const faults = new FaultInjector({ logger: componentLogger(logger, 'faults'), routes: definition.routes });
  if (env.FAULTS) {
    try {
      faults.replace(env.FAULTS.rules, 'environment');
    } catch (error) {
      if (!(error instanceof UnknownFaultRouteError)) throw error;
      throw new ConfigError(error.problems.map((problem) => `FAULTS.rules.${problem.index}.route: ${problem.message}`));
    }
  }
  const profiler = new Profiler({
    logger: componentLogger(logger, 'profiling'),
    cpuIntervalMicros: env.CPU_PROFILE_INTERVAL_US,
    heapIntervalBytes: env.HEAP_PROFILE_INTERVAL_BYTES,
    heapSnapshotEnabled: env.HEAP_SNAPSHOT_ENABLED,
  });
  profiler.startHeapSampling();
  const protection = protectionSettingsFromEnv(env);
  const timeouts = listenerTimeoutsFromEnv(env);
  lifecycleLogger.info(
    {
      rate_limit_rps: protection.rateLimit?.ratePerSecond ?? 'off',
      rate_limit_burst: protection.rateLimit?.burst ?? 'off',
      max_in_flight: protection.maxInFlight ?? 'off',
      event_loop_delay_limit_ms: protection.eventLoopDelayLimitMs ?? 'off',
      headers_timeout_ms: timeouts.headersTimeoutMs,
      request_timeout_ms: timeouts.requestTimeoutMs,
      keep_alive_timeout_ms: timeouts.keepAliveTimeoutMs,
    },
    'inbound protection',
  );
  const httpLogger = componentLogger(logger, 'http');
  const adminLogger = componentLogger(logger, 'admin');
  const api = new DrainableListener(
    createApiApp({
      logger: httpLogger,
      routes: definition.routes,
      health: definition.health,
      openapi: { title: `${definition.name} API`, version: definition.version, description: definition.description, license: PROJECT_LICENSE },
      bodyLimit: env.HTTP_BODY_LIMIT,
      middleware: definition.apiMiddleware ?? [],
      protection,
      verifier: definition.verifier,
      routeHooks: [profilingLabels, faults.middleware],
    }),
    timeouts,
    httpLogger,
  );
  const adminApp = createAdminApp({
    logger: adminLogger,
    rootLogger: logger,
    access: definition.adminAccess,
    bodyLimit: env.HTTP_BODY_LIMIT,
    routers: [
      faultsRouter(faults, definition.adminAccess),
      profilingRouter(profiler, definition.adminAccess, definition.name),
      ...(definition.adminRouters ?? []),
    ],
  });
  const admin = new DrainableListener(adminApp, timeouts, adminLogger);

  const apiAddress = await api.listen(env.PORT, definition.host);
  const adminAddress = await admin.listen(env.ADMIN_PORT, env.ADMIN_HOST);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const started = performance.now();
      lifecycleLogger.info({ reason, in_flight: api.activeRequests }, 'shutdown started');
      definition.health.markStopping();
      api.beginDrain();
      faults.releaseHangs();
      const drained = await api.drained(env.SHUTDOWN_TIMEOUT_MS);
      if (!drained) {
        lifecycleLogger.warn({ in_flight: api.activeRequests, timeout_ms: env.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; closing remaining connections');
        api.closeAll();
      }
      const hookBudgetMs = Math.max(1000, env.SHUTDOWN_TIMEOUT_MS);
      await runHooks(definition.shutdownHooks ?? [], lifecycleLogger, hookBudgetMs);
      admin.beginDrain();
      admin.closeAll();
      lifecycleLogger.info({ duration_ms: Math.round(performance.now() - started), drained }, 'shutdown complete');
      // Last, so the spans and log records of everything above are exported too.
      await flushTelemetry(lifecycleLogger, hookBudgetMs);
    })();
    return stopping;
  };

  const shutdownAndExit = (reason: string): void => {
    void shutdown(reason).then(() => {
      logger.flush(() => process.exit(0));
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        lifecycleLogger.warn({ signal }, 'second signal during shutdown; exiting now');
        logger.flush();
        process.exit(1);
      }
      shutdownAndExit(signal);
    });
  }
  // A supervisor that starts its services with an IPC channel (npm start, npm run stack) never writes
  // to it: the channel closes when the supervisor ends however it ends, even by SIGKILL, and a service
  // left unsupervised stops as on SIGTERM.
  if (process.channel) {
    process.once('disconnect', () => {
      if (!stopping) shutdownAndExit('supervisor gone');
    });
  }

  lifecycleLogger.info(
    { port: apiAddress.port, admin_port: adminAddress.port, admin_host: adminAddress.address, version: definition.version },
    'service started',
  );
  return { apiPort: apiAddress.port, adminPort: adminAddress.port, faults, shutdown };
}

/** A crash waits this long at most for the last spans and log records to leave. */
const CRASH_FLUSH_BUDGET_MS = 2000;


/**
 * Runs a service's main function: a configuration error prints the variables at fault and exits 2;
 * any other start-up failure exits 1. A crash after start-up is logged, and telemetry flushed (within
 * CRASH_FLUSH_BUDGET_MS), before the process exits 1.
 */
export function runMain(name: string, main: () => Promise<{ logger: Logger }>): void {
  main().then(
    ({ logger }) => {
      process.on('uncaughtException', (error) => {
        logger.fatal({ err: error }, 'uncaught exception');
        void flushTelemetry(logger, CRASH_FLUSH_BUDGET_MS).then(() => logger.flush(() => process.exit(1)));
      });
      process.on('unhandledRejection', (reason) => {
        logger.error({ err: reason }, 'unhandled promise rejection');
      });
    },
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
