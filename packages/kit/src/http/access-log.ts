import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { requestState, routeTemplate, UNMATCHED_ROUTE } from '../request-context.js';
import { principalOf } from '../auth/principal.js';

/**
 * One line per request, written when the response is finished (or the client went away), with the
 * route template rather than the raw path so lines group the way metrics do.
 */
export function accessLog(logger: Logger) {
  return async function accessLogLine(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = ctx.status;
      const fields = {
        'http.method': ctx.method,
        'http.route': routeTemplate(ctx) ?? UNMATCHED_ROUTE,
        'http.status_code': status,
        'url.path': ctx.path,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        request_id: requestState(ctx).requestId,
        'enduser.id': principalOf(ctx)?.subject,
      };
      if (status >= 500) logger.error(fields, 'request completed');
      else logger.info(fields, 'request completed');
    }
  };
}
