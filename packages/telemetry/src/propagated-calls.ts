import { propagation, type Context } from '@opentelemetry/api';

/**
 * A call's headers with `context`'s trace context (and baggage) added, as the propagators put them;
 * the caller's object is left alone. The kit's client puts each attempt's context in itself (its own
 * client span's, or an unsampled request's), and the undici instrumentation skips a request that
 * already carries one (`carriesTraceContext`, instrumentations.ts): it would otherwise parse the URL and
 * the headers, build attributes and start a second span for the same attempt, and add a second
 * trace header that contradicts the first.
 */
export function withTraceContext(headers: Readonly<Record<string, string>>, context: Context): Record<string, string> {
  const carrier = { ...headers };
  propagation.inject(context, carrier);
  return carrier;
}

/**
 * The header names, in lower case, in which the configured propagators carry trace context — baggage
 * left out: `traceparent` and `tracestate`, or `b3`, or the `x-b3-*` set; none with `OTEL_PROPAGATORS=none`.
 */
export function traceContextFields(): ReadonlySet<string> {
  return new Set(propagation.fields().flatMap((field) => (field.toLowerCase() === 'baggage' ? [] : [field.toLowerCase()])));
}

/**
 * Whether undici request headers (`name: value\r\n` text, or names and values in turn) carry trace
 * context in one of `fields` (traceContextFields).
 */
export function carriesTraceContext(headers: string | readonly (string | string[])[], fields: ReadonlySet<string>): boolean {
  if (fields.size === 0) return false;
  if (typeof headers === 'string') {
    return headers.split('\r\n').some((line) => fields.has(line.slice(0, line.indexOf(':')).trim().toLowerCase()));
  }
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    // It runs for every undici request, and the kit's client sends names in lower case already.
    if (typeof name === 'string' && (fields.has(name) || fields.has(name.toLowerCase()))) return true;
  }
  return false;
}
