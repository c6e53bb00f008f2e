import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { assignRequestId, routeTemplate, UNMATCHED_ROUTE } from '../request-context.js';
import { principalOf } from '../auth/principal.js';
import { httpServerRequestFinished, httpServerRequestStarted } from '../metrics/http-server.js';

export interface RequestRecordingOptions {
  /** RED metrics for the request (the public listener); the admin listener's requests are only logged. */
  metrics: boolean;
}

/**
 * The outermost layer of a listener: the request's id, its RED metrics and one access-log line,
 * written when the response is finished (or the client went away), with the route template rather
 * than the raw path so lines group the way metrics do. One layer for the three, timed once: every
 * layer is an async frame and a promise per request.
 */
export function recordRequests(logger: Logger, { metrics }: RequestRecordingOptions) {
  return async function recordRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const requestId = assignRequestId(ctx);
    const method = ctx.method;
    if (metrics) httpServerRequestStarted(method);
    try {
      await next();
    } finally {
      const durationMs = performance.now() - started;
      const status = ctx.status;
      const template = routeTemplate(ctx);
      if (template !== undefined) nameServerSpan(template);
      const route = template ?? UNMATCHED_ROUTE;
      if (metrics) httpServerRequestFinished(method, route, status, durationMs / 1000);
      const fields = {
        'http.method': method,
        'http.route': route,
        'http.status_code': status,
        'url.path': ctx.path,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        request_id: requestId,
        'enduser.id': principalOf(ctx)?.subject,
      };
      if (status >= 500) logger.error(fields, 'request completed');
      else logger.info(fields, 'request completed');
    }
  };
}

/**
 * The HTTP instrumentation reads the route from the request's RPC metadata when the response finishes:
 * it becomes the server span's `http.route` and its name (`GET /movies/:id`).
 */
function nameServerSpan(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}
