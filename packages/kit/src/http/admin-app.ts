import { createHash, timingSafeEqual } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import type { Logger } from 'pino';
import { metricsRouter } from '../metrics/endpoint.js';
import { strictRouter } from './route.js';
import { ProblemError } from '../problem.js';
import { accessLog } from './access-log.js';
import { problemMiddleware } from './errors.js';
import { requestId } from './request-context.js';
import { parseInput } from './validation.js';
import { appErrorListener } from './client-error.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The credentials of an `Authorization: Bearer <token>` header. Auth schemes are case-insensitive
 * (RFC 9110 §11.1), and one or more spaces separate the scheme from its credentials.
 */
export function bearerToken(authorization: string): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(authorization);
  return match?.[1];
}

/**
 * Guards admin routes with `Authorization: Bearer <ADMIN_TOKEN>`. With no token configured the
 * routes are closed (403), never open.
 */
export function requireAdminToken(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async function adminToken(ctx: Context, next: Next): Promise<void> {
    if (!expected) {
      throw new ProblemError({ status: 403, detail: 'Admin endpoints are disabled: set ADMIN_TOKEN to enable them' });
    }
    const token = bearerToken(ctx.get('authorization'));
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      throw new ProblemError({
        status: 401,
        detail: 'A valid admin token is required (Authorization: Bearer <ADMIN_TOKEN>)',
        headers: { 'www-authenticate': 'Bearer realm="admin"' },
      });
    }
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
  adminToken: string | undefined;
  bodyLimit: string;
  /** Routers added by other parts of the kit (metrics, profiling, faults) */
  routers?: readonly Router[];
}

/**
 * The admin listener: never exposed publicly. `/metrics` and liveness are open for scrapers and
 * probes; everything else needs the admin token.
 */
export function createAdminApp(options: AdminAppOptions): { app: Koa; protectedRoutes: Router } {
  const app = new Koa();
  app.silent = true;
  app.on('error', appErrorListener(options.logger));
  const open = strictRouter();
  open.get('alive', '/.well-known/alive', function alive(ctx) {
    ctx.body = { status: 'alive' };
  });

  const protectedRoutes = strictRouter();
  protectedRoutes.use(requireAdminToken(options.adminToken));
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

  app.use(requestId);
  app.use(accessLog(options.logger));
  app.use(problemMiddleware(options.logger));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: options.bodyLimit }));
  app.use(open.routes());
  app.use(metricsRouter().routes());
  for (const router of options.routers ?? []) app.use(router.routes()).use(router.allowedMethods());
  app.use(protectedRoutes.routes());
  app.use(protectedRoutes.allowedMethods());
  return { app, protectedRoutes };
}
