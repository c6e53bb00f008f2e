import type Router from '@koa/router';
import { contentTypeOf, negotiateFormat, renderMetrics } from '../metrics/render.js';
import { strictRouter } from './route.js';

/** `GET /metrics`: Prometheus text by default, OpenMetrics (with exemplars) when the scraper asks. */
export function metricsRouter(): Router {
  const router = strictRouter();
  router.get('metrics', '/metrics', async function metrics(ctx) {
    const format = negotiateFormat(ctx.get('accept'));
    ctx.body = await renderMetrics(format);
    ctx.type = contentTypeOf(format);
    ctx.set('cache-control', 'no-store');
  });
  return router;
}
