import { trace, TraceFlags } from '@opentelemetry/api';
import type { Context, Next } from 'koa';
import { routeTemplate, UNMATCHED_ROUTE } from '../request-context.js';
import { httpServerActive, httpServerDuration } from './registry.js';

/**
 * RED metrics per request: duration by method, route template and status, with the sampled trace id
 * as exemplar so a slow bucket links to a trace; in-flight requests by method.
 */
export async function httpServerMetrics(ctx: Context, next: Next): Promise<void> {
  const method = ctx.method;
  const started = process.hrtime.bigint();
  httpServerActive.inc({ http_request_method: method });
  try {
    await next();
  } finally {
    httpServerActive.dec({ http_request_method: method });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const labels = {
      http_request_method: method,
      http_route: routeTemplate(ctx) ?? UNMATCHED_ROUTE,
      http_response_status_code: String(ctx.status),
    };
    const spanContext = trace.getActiveSpan()?.spanContext();
    const sampled = spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
    // With exemplars enabled prom-client only takes the object form of observe().
    httpServerDuration.observe({
      labels,
      value: seconds,
      // prom-client types exemplar labels as the metric's own label names; any names are valid.
      ...(sampled ? { exemplarLabels: { trace_id: spanContext.traceId, span_id: spanContext.spanId } as never } : {}),
    });
  }
}
