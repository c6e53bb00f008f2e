import { trace, TraceFlags } from '@opentelemetry/api';
import { httpServerActive, httpServerDuration } from './registry.js';

/** RED metrics per request (recorded with the access-log line, http/record-requests.ts): in-flight requests by method. */
export function httpServerRequestStarted(method: string): void {
  httpServerActive.inc({ http_request_method: method });
}

/**
 * Duration by method, route template and status, with the sampled trace id as exemplar so a slow
 * bucket links to a trace.
 */
export function httpServerRequestFinished(method: string, route: string, status: number, seconds: number): void {
  httpServerActive.dec({ http_request_method: method });
  const labels = { http_request_method: method, http_route: route, http_response_status_code: String(status) };
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
