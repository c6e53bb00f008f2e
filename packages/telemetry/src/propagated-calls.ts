import { propagation, type Context } from '@opentelemetry/api';

/**
 * A call's headers with `context`'s trace context (and baggage) added, as the propagators put them;
 * the caller's object is left alone. The kit's client puts each attempt's context in itself (its own
 * client span's, or an unsampled request's), and the undici instrumentation skips a request that
 * already carries one (`carriesTraceparent`, instrumentations.ts): it would otherwise parse the URL and
 * the headers, build attributes and start a second span for the same attempt, and add a second
 * `traceparent` that contradicts the first.
 */
export function withTraceContext(headers: Readonly<Record<string, string>>, context: Context): Record<string, string> {
  const carrier = { ...headers };
  propagation.inject(context, carrier);
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
