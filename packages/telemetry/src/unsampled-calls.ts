import { context, propagation, trace } from '@opentelemetry/api';

/**
 * A call made while an unsampled request is served carries the trace context in its own headers, put
 * there by the caller, and the undici instrumentation skips a request that already carries one
 * (`carriesTraceparent`, instrumentations.ts). Its span would not record anyway, so the call costs no
 * URL parsing, no attributes and no span, and the callee still continues the trace with its sampling
 * decision. Under a recording span, or outside any span, the headers are returned as they are and the
 * instrumentation propagates as usual, its client span the callee's parent.
 */
export function withUnsampledTraceContext(headers: Readonly<Record<string, string>>): Record<string, string> {
  const active = trace.getActiveSpan();
  if (active === undefined || active.isRecording()) return headers;
  const carrier = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}

const TRACEPARENT_LINE = /(?:^|\r\n)traceparent:/i;

/** Whether undici request headers (`name: value\r\n` text, or names and values in turn) carry a `traceparent`. */
export function carriesTraceparent(headers: string | readonly (string | string[])[]): boolean {
  if (typeof headers === 'string') return TRACEPARENT_LINE.test(headers);
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    // It runs for every undici request: the length first spares most names a lower-cased copy.
    if (typeof name === 'string' && name.length === 11 && name.toLowerCase() === 'traceparent') return true;
  }
  return false;
}
