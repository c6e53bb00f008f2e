import type Router from '@koa/router';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { ServiceEnv } from '../config.js';
import type { FaultInjector } from '../faults/injector.js';
import type { HealthRegistry } from '../health.js';
import type { Route } from '../http/route.js';

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
