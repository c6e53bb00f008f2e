import type { Logger } from 'pino';
import { componentLogger } from '../logger.js';
import { faultsRouter } from '../faults/admin.js';
import type { FaultInjector } from '../faults/injector.js';
import { createAdminApp } from '../http/admin-app.js';
import { createApiApp } from '../http/api-app.js';
import { DrainableListener } from '../http/listener.js';
import { profilingRouter } from '../profiling/admin.js';
import { profilingLabels } from '../profiling/labels.js';
import type { Profiler } from '../profiling/profiler.js';
import type { ServiceDefinition } from './definition.js';
import type { InboundSettings } from './inbound-settings.js';

/** The repository's licence, which every service's OpenAPI document names. */
const PROJECT_LICENSE = { name: 'Apache-2.0', identifier: 'Apache-2.0' };

export interface Listeners {
  api: DrainableListener;
  admin: DrainableListener;
}

export interface ListenerParts {
  faults: FaultInjector;
  profiler: Profiler;
  inbound: InboundSettings;
}

/** The public API listener and the admin listener, not yet listening. */
export function createListeners(definition: ServiceDefinition, { faults, profiler, inbound }: ListenerParts): Listeners {
  const { env, logger } = definition;
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
      protection: inbound.protection,
      verifier: definition.verifier,
      routeHooks: [profilingLabels, faults.middleware],
    }),
    inbound.timeouts,
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
  return { api, admin: new DrainableListener(adminApp, inbound.timeouts, adminLogger) };
}

export interface ListeningAddresses {
  apiPort: number;
  adminPort: number;
  adminHost: string;
}

/** Binds the API listener (all interfaces unless the definition names a host), then the admin listener (ADMIN_HOST). */
export async function listen({ api, admin }: Listeners, definition: ServiceDefinition): Promise<ListeningAddresses> {
  const apiAddress = await api.listen(definition.env.PORT, definition.host);
  const adminAddress = await admin.listen(definition.env.ADMIN_PORT, definition.env.ADMIN_HOST);
  return { apiPort: apiAddress.port, adminPort: adminAddress.port, adminHost: adminAddress.address };
}

export function reportStarted(logger: Logger, addresses: ListeningAddresses, version: string): void {
  logger.info({ port: addresses.apiPort, admin_port: addresses.adminPort, admin_host: addresses.adminHost, version }, 'service started');
}
