import { createHash, timingSafeEqual } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import type Router from '@koa/router';
import { z } from 'zod';
import type { Logger } from 'pino';
import { bodyParserOnFirstUse } from './body-parser.js';
import { metricsRouter } from './metrics-endpoint.js';
import { strictRouter } from './route.js';
import { ProblemError } from '../problem.js';
import { recordRequests } from './record-requests.js';
import { problemMiddleware } from './errors.js';
import { parseInput } from './validation.js';
import { appErrorListener } from './client-error.js';
import { bearerToken, verifyBearer } from '../auth/middleware.js';
import { ADMIN_ROLE } from '../auth/principal.js';
import { forbidden, unauthorized } from '../auth/problems.js';
import type { TokenVerifier } from '../auth/token-verifier.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export interface AdminAccessOptions {
  /** `ADMIN_TOKEN`: the operator's static credential; unset, only admin JWTs are accepted. */
  adminToken: string | undefined;
  verifier: TokenVerifier;
  logger: Logger;
}

/** The middleware guarding admin routes; services put it in front of the admin routers they add. */
export type AdminAccess = Koa.Middleware;

/**
 * Guards admin routes: `Authorization: Bearer <ADMIN_TOKEN>` or a bearer JWT with role `admin`.
 * A valid JWT without the role is a 403; anything else a 401.
 */
export function adminAccess(options: AdminAccessOptions): AdminAccess {
  const expected = options.adminToken === undefined ? undefined : digest(options.adminToken);
  return async function adminAccessCheck(ctx: Context, next: Next): Promise<void> {
    const token = bearerToken(ctx.get('authorization'));
    if (token !== undefined && expected !== undefined && timingSafeEqual(digest(token), expected)) {
      await next();
      return;
    }
    // A rejected token is answered like a missing one; anything else is a fault of ours and propagates.
    const principal = await verifyBearer(ctx, options.verifier, options.logger).catch((error: unknown) => {
      if (error instanceof ProblemError) return undefined;
      throw error;
    });
    if (principal === undefined) {
      throw unauthorized("The admin token (Authorization: Bearer <ADMIN_TOKEN>) or an admin's bearer token is required", 'admin');
    }
    if (!principal.roles.includes(ADMIN_ROLE)) throw forbidden(`role ${ADMIN_ROLE} is required`);
    await next();
  };
}

const logLevelBody = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export interface AdminAppOptions {
  logger: Logger;
  /** The process's root logger: its level governs every component's. */
  rootLogger: Logger;
  access: Koa.Middleware;
  bodyLimit: string;
  /** Routers added by other parts of the kit (faults, profiling) and the service's own admin routers. */
  routers?: readonly Router[];
}

/**
 * The admin listener: never exposed publicly. `/metrics` and liveness are open for scrapers and
 * probes; everything else needs the admin token.
 */
export function createAdminApp(options: AdminAppOptions): Koa {
  const app = new Koa();
  app.silent = true;
  app.on('error', appErrorListener(options.logger));
  const open = strictRouter();
  open.get('alive', '/.well-known/alive', function alive(ctx) {
    ctx.body = { status: 'alive' };
  });

  const protectedRoutes = strictRouter();
  protectedRoutes.use(options.access);
  protectedRoutes.get('getLogLevel', '/admin/log-level', function getLogLevel(ctx) {
    ctx.body = { level: options.rootLogger.level };
  });
  protectedRoutes.put('setLogLevel', '/admin/log-level', function setLogLevel(ctx) {
    const { level } = parseInput(logLevelBody, (ctx.request as { body?: unknown }).body, 'body');
    const previous = options.rootLogger.level;
    options.rootLogger.level = level;
    options.logger.warn({ previous, level }, 'log level changed');
    ctx.body = { level };
  });

  app.use(recordRequests(options.logger, { metrics: false }));
  app.use(problemMiddleware(options.logger));
  app.use(bodyParserOnFirstUse({ enableTypes: ['json'], jsonLimit: options.bodyLimit }));
  app.use(open.routes());
  app.use(metricsRouter().routes());
  for (const router of options.routers ?? []) app.use(router.routes()).use(router.allowedMethods());
  app.use(protectedRoutes.routes());
  app.use(protectedRoutes.allowedMethods());
  return app;
}
