import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { HealthRegistry } from '../health.js';
import { recordRequests } from './record-requests.js';
import { problemMiddleware } from './errors.js';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi.js';
import { jsonBodyReader } from './json-body.js';
import { formBodyReader } from './form-body.js';
import { strictRouter, type Route, type RouteInput, type RouteRequestSchemas } from './route.js';
import { parseRequestParts } from './validation.js';
import { inboundProtection, routeLabeller } from './inbound-protection.js';
import type { InboundProtectionSettings } from '../protection/settings.js';
import { appErrorListener } from './client-error.js';
import { authenticate, checkAccess } from '../auth/middleware.js';
import type { TokenVerifier } from '../auth/token-verifier.js';

export interface ApiAppOptions {
  logger: Logger;
  routes: readonly Route[];
  health: HealthRegistry;
  openapi: OpenApiInfo;
  /** e.g. `64kb`; larger bodies (after decompression) get 413. */
  bodyLimit: string;
  /** Middleware for every public request after protection and before routing (e.g. the request deadline). */
  middleware?: readonly Koa.Middleware[];
  /**
   * Middleware run inside every matched public route, before its validation and handler, with the
   * route template known (`routeTemplate(ctx)`): fault injection, profiling labels. Never runs for
   * well-known routes, unknown paths or 405s.
   */
  routeHooks?: readonly Koa.Middleware[];
  /**
   * Rate limit, concurrency limit and event-loop shedding (docs/inbound-protection.md), applied
   * after the well-known routes and before the service middleware and the routes.
   */
  protection?: InboundProtectionSettings;
  /** Verifies bearer tokens (after protection, before the service middleware); routes with `auth` need one. */
  verifier: TokenVerifier;
}

function routeMiddleware(route: Route, bodyLimit: string, hooks: readonly Koa.Middleware[] = []): Koa.Middleware {
  const { params, query, body, form } = route.request ?? {};
  const readBody = body ? jsonBodyReader(bodyLimit, route.method) : form ? formBodyReader(bodyLimit, route.method) : undefined;
  const { auth } = route;
  const validateAndHandle = async (ctx: Context): Promise<void> => {
    const input = parseRequestParts<RouteInput<RouteRequestSchemas>>([
      { key: 'params', schema: params, value: ctx.params, location: 'path' },
      // Reading ctx.query parses the query string; routes without a query schema never need it.
      { key: 'query', schema: query, value: query ? ctx.query : undefined, location: 'query' },
      { key: 'body', schema: body, value: (ctx.request as { body?: unknown }).body, location: 'body' },
      { key: 'form', schema: form, value: (ctx.request as { body?: unknown }).body, location: 'body' },
    ]);
    await route.handler(ctx, input);
  };
  // Named so a trace shows which operation ran rather than an anonymous middleware.
  const handle = async function (ctx: Context): Promise<void> {
    // Before the body is read: an unauthorised caller learns nothing about the input rules.
    if (auth !== undefined) checkAccess(ctx, auth);
    if (readBody) await readBody(ctx, () => validateAndHandle(ctx));
    else await validateAndHandle(ctx);
  };
  // Hooks wrap the handler inside the one route layer: with the koa instrumentation on, one router span per request.
  const withHooks = hooks.reduceRight<Koa.Middleware>(
    // Koa types a middleware's result as any; the kit's hooks and handlers return promises.
    (inner, hook) => (ctx, next) => hook(ctx, () => inner(ctx, next) as Promise<void>) as Promise<void>,
    handle,
  );
  Object.defineProperty(withHooks, 'name', { value: route.operationId });
  return withHooks;
}

const WELL_KNOWN_PREFIX = '/.well-known/';
const OPENAPI_PATH = '/openapi.json';

/** Spares every other request the well-known router's matching: a prefix check instead of its route table. */
function onlyForWellKnownPaths(wellKnown: Router): Koa.Middleware {
  const routes = wellKnown.routes();
  // The router sets the params and router members it types its context with.
  return (ctx, next) => (ctx.path.startsWith(WELL_KNOWN_PREFIX) || ctx.path === OPENAPI_PATH ? (routes(ctx as Parameters<typeof routes>[0], next) as Promise<void>) : next());
}

export function buildRouter(routes: readonly Route[], bodyLimit: string, hooks: readonly Koa.Middleware[] = []): Router {
  const router = strictRouter();
  for (const route of routes) router[route.method](route.operationId, route.path, routeMiddleware(route, bodyLimit, hooks));
  return router;
}

/**
 * The public listener's app: request ids, one access-log line per request, problem+json for every
 * failure, the service's routes (each reading its JSON body, bounded in size) with 404/405, and the
 * well-known routes. Routing is strict and case-sensitive: `/metadata/` and `/METADATA` are 404s.
 */
export function createApiApp(options: ApiAppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  // Errors are answered by the problem middleware; Koa's own printer would double-log them.
  app.silent = true;
  app.on('error', appErrorListener(options.logger));

  const openapi = buildOpenApiDocument(options.openapi, options.routes);
  const wellKnown = strictRouter();
  wellKnown.get('alive', `${WELL_KNOWN_PREFIX}alive`, function alive(ctx) {
    ctx.body = { status: 'alive' };
  });
  wellKnown.get('health', `${WELL_KNOWN_PREFIX}health`, async function health(ctx) {
    const report = await options.health.report();
    ctx.status = report.status === 'ok' ? 200 : 503;
    ctx.set('cache-control', 'no-store');
    ctx.body = report;
  });
  wellKnown.get('openapi', OPENAPI_PATH, function openapiDocument(ctx) {
    ctx.body = openapi;
  });

  const router = buildRouter(options.routes, options.bodyLimit, options.routeHooks ?? []);

  app.use(recordRequests(options.logger, { metrics: true }));
  app.use(problemMiddleware(options.logger));
  app.use(onlyForWellKnownPaths(wellKnown));
  if (options.protection) app.use(inboundProtection(options.protection, { labelRoute: routeLabeller(router) }));
  app.use(authenticate(options.verifier, options.logger));
  for (const middleware of options.middleware ?? []) app.use(middleware);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
