import type Router from '@koa/router';
import type Koa from 'koa';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { loadConfig, serviceEnvWithDefaults, type ServiceEnv } from './config.js';
import { HealthRegistry } from './health.js';
import { requestDeadline } from './client/deadline.js';
import type { Route } from './http/route.js';
import { componentLogger, createLogger } from './logger.js';
import type { Database } from './mysql/database.js';
import { openServiceDatabase } from './mysql/service-database.js';
import { readPackageInfo } from './package-info.js';
import { listenerTimeoutsFromEnv } from './http/listener.js';
import { protectionSettingsFromEnv } from './protection/settings.js';
import { runMain, startService, type ShutdownHook } from './service.js';
import type { JSONWebKeySet } from 'jose';
import { adminAccess } from './http/admin-app.js';
import { isServiceClient } from './auth/principal.js';
import { ServiceTokenVerification } from './auth/settings.js';

type BaseSchema = ReturnType<typeof serviceEnvWithDefaults>;

export interface ServiceContext<E extends ServiceEnv> {
  env: E;
  logger: Logger;
  health: HealthRegistry;
  /** The service's own database, or undefined when MYSQL_URL is unset (use the memory repository). */
  database: Database | undefined;
  /** Guards admin routes the service adds (`adminRouters`): ADMIN_TOKEN or an admin JWT. */
  adminAccess: Koa.Middleware;
}

export interface ServiceParts {
  routes: readonly Route[];
  shutdownHooks?: readonly ShutdownHook[];
  apiMiddleware?: readonly Koa.Middleware[];
  adminRouters?: readonly Router[];
  /** The auth service verifies tokens with its own public keys instead of fetching its JWKS. */
  verificationKeys?: () => Promise<JSONWebKeySet>;
}

export interface ServiceMainOptions<S extends z.ZodType<ServiceEnv>> {
  name: string;
  defaultPorts: { PORT: number; ADMIN_PORT: number };
  /** `__dirname` of the compiled main, to find package.json (version) and migrations. */
  mainDirectory: string;
  /** The service's schema when it reads more than the common variables (build it from `base`). */
  env?: (base: BaseSchema) => S;
  /** The service owns a database named after it, with migrations in this directory. */
  migrationsDirectory?: string;
  build: (context: ServiceContext<z.infer<S>>) => ServiceParts | Promise<ServiceParts>;
}

/**
 * Everything a service's main does but its own wiring: configuration, logger, readiness, its database
 * and migrations, listeners and shutdown. `build` turns those into routes.
 */
export function serviceMain<S extends z.ZodType<ServiceEnv> = BaseSchema>(options: ServiceMainOptions<S>): void {
  runMain(options.name, async () => {
    const base = serviceEnvWithDefaults(options.defaultPorts);
    const env = loadConfig(options.env ? options.env(base) : base) as z.infer<S>;
    // Rules across variables, checked before the database is opened (startService applies them).
    protectionSettingsFromEnv(env);
    listenerTimeoutsFromEnv(env);
    const logger = createLogger({ service: options.name, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
    const health = new HealthRegistry();
    const store = options.migrationsDirectory
      ? await openServiceDatabase({ env, database: options.name, migrationsDirectory: options.migrationsDirectory, logger, health })
      : undefined;
    const tokens = new ServiceTokenVerification(env, componentLogger(logger, 'auth'));
    const adminAccessCheck = adminAccess({ adminToken: env.ADMIN_TOKEN, verifier: tokens.verifier, logger: componentLogger(logger, 'admin') });
    const parts = await options.build({ env, logger, health, database: store?.database, adminAccess: adminAccessCheck });
    if (parts.verificationKeys) tokens.useOwnKeys(parts.verificationKeys);
    const pkg = readPackageInfo(options.mainDirectory);
    await startService({
      name: options.name,
      version: pkg.version,
      description: pkg.description,
      env,
      logger,
      health,
      routes: parts.routes,
      verifier: tokens.verifier,
      adminAccess: adminAccessCheck,
      // First, so the request's budget (REQUEST_DEADLINE_MS, x-timeout-ms) bounds every downstream call.
      // It runs after the bearer token is verified, so service clients may shorten it below the floor.
      apiMiddleware: [
        requestDeadline({ defaultMs: env.REQUEST_DEADLINE_MS, floorMs: env.REQUEST_DEADLINE_FLOOR_MS, isTrustedCaller: isServiceClient }),
        ...(parts.apiMiddleware ?? []),
      ],
      adminRouters: parts.adminRouters ?? [],
      shutdownHooks: [...(parts.shutdownHooks ?? []), ...(store ? [store.shutdownHook] : [])],
    });
    return { logger };
  });
}
