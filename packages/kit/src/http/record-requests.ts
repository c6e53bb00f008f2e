import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { assignRequestId, routeTemplate, UNMATCHED_ROUTE } from '../request-context.js';
import { principalOf } from '../auth/principal.js';
import { httpServerRequestFinished, httpServerRequestStarted } from '../metrics/http-server.js';
import { serverSpans } from './server-span.js';

export interface RequestRecordingOptions {
  /** RED metrics for the request (the public listener); the admin listener's requests are only logged. */
  metrics: boolean;
}

/**
 * The outermost layer of a listener: the request's server span (serverSpans), its id, its RED metrics
 * and one access-log line, written once the handlers are done, with the route template rather than the
 * raw path so lines group the way metrics do. One layer for all of them, timed once: every layer is an
 * async frame and a promise per request.
 */
export function recordRequests(logger: Logger, { metrics }: RequestRecordingOptions): (ctx: Context, next: Next) => Promise<void> {
  const recordRequest = async (ctx: Context, next: Next): Promise<void> => {
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
  const traceRequest = serverSpans();
  if (traceRequest === undefined) return recordRequest;
  return function recordTracedRequest(ctx: Context, next: Next): Promise<void> {
    return traceRequest(ctx, () => recordRequest(ctx, next));
  };
}

/**
 * The server span, the kit's own or an HTTP instrumentation's, reads the route from the request's RPC
 * metadata when the response finishes: it becomes the span's `http.route` and its name (`GET /movies/:id`).
 */
function nameServerSpan(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}
