import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { getTelemetry, recordFailure, redactQuery, traceContextFields, withTraceContext } from '@cinemetrics/telemetry';
import { conventionalMethod } from '../http/known-methods.js';
import { attemptErrorType } from './errors.js';

const tracer = trace.getTracer('@cinemetrics/kit');

/** Where a downstream's attempts go, and whether the kit traces them. */
export interface AttemptTarget {
  /** The downstream's registered name (`rating`), its spans' `peer.service`. */
  peer: string;
  /** `http://rating:8082`: scheme, host and port. */
  origin: string;
  address: string;
  port: number;
  spans: boolean;
}

/**
 * Whether the kit's client makes its attempts' spans in this process: under its telemetry preload with
 * the `undici` instrumentation name enabled (`@cinemetrics/telemetry`'s instrumentations.ts), and
 * propagators that carry trace context, whose header tells the instrumentation to skip the attempt
 * (with `OTEL_PROPAGATORS=none` it makes the spans, as it would without the kit). Under another SDK
 * setup the undici instrumentation makes them, and propagates, as it always did.
 */
function kitTracesAttempts(): boolean {
  return getTelemetry()?.clientSpans === true && traceContextFields().size > 0;
}

export function attemptTarget(peer: string, origin: URL, spans = kitTracesAttempts()): AttemptTarget {
  const port = origin.port === '' ? (origin.protocol === 'https:' ? 443 : 80) : Number(origin.port);
  return { peer, origin: origin.origin, address: origin.hostname, port, spans };
}

export interface AttemptRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Readonly<Record<string, string>>;
  /** Attempts of this call before this one. */
  resends: number;
}

export interface TracedAttempt {
  /** The request's headers with the attempt's trace context in them. */
  headers: Readonly<Record<string, string>>;
  /** The attempt's span, when it records. */
  span: Span | undefined;
}

function attemptAttributes(target: AttemptTarget, request: AttemptRequest): Attributes {
  const method = conventionalMethod(request.method);
  const attributes: Attributes = {
    'http.request.method': method,
    // The collector's span metrics split client calls by it: each downstream's latency as the caller sees it.
    'peer.service': target.peer,
    'server.address': target.address,
    'server.port': target.port,
    // What spans show of the path: credential query values redacted.
    'url.full': `${target.origin}${redactQuery(request.path)}`,
  };
  if (method !== request.method) attributes['http.request.method_original'] = request.method;
  if (request.resends > 0) attributes['http.request.resend_count'] = request.resends;
  return attributes;
}

/**
 * One attempt's `CLIENT` span (named by its method, with the HTTP semantic conventions' client
 * attributes) and the headers that carry its trace context to the downstream, whose server span becomes
 * its child. Under a request the sampler left out there is no span: the headers carry that request's own
 * unsampled context, so the callee continues its trace and its decision. Outside any request the headers
 * are left to the undici instrumentation, as they are when the kit does not trace attempts.
 */
export function traceAttempt(target: AttemptTarget, request: AttemptRequest): TracedAttempt {
  const active = target.spans ? trace.getActiveSpan() : undefined;
  if (active === undefined) return { headers: request.headers, span: undefined };
  if (!active.isRecording()) return { headers: withTraceContext(request.headers, context.active()), span: undefined };
  const attributes = attemptAttributes(target, request);
  // The conventions name a span of a method they do not know `HTTP`.
  const name = attributes['http.request.method'] === '_OTHER' ? 'HTTP' : request.method;
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
  return { headers: withTraceContext(request.headers, trace.setSpan(context.active(), span)), span };
}

/** Ends an answered attempt's span: its status; a 4xx or 5xx is a failed attempt to the client. */
export function endAnsweredAttempt(span: Span | undefined, status: number): void {
  if (span === undefined) return;
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Ends the span of an attempt that got no answer: `error.type` as attemptErrorType says (`timeout`, `ECONNREFUSED`, …). */
export function endFailedAttempt(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  span.setAttribute('error.type', attemptErrorType(error));
  recordFailure(span, error);
  span.end();
}
