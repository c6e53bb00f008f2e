import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation, type HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType, type KoaInstrumentationConfig } from '@opentelemetry/instrumentation-koa';
import { PinoInstrumentation, type PinoInstrumentationConfig } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation, type UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';
import { commaSeparated } from './env.js';
import { REDACTED_QUERY_PARAMETERS, redactQuery } from './query-redaction.js';
import { carriesTraceContext, traceContextFields } from './propagated-calls.js';

/**
 * Outgoing requests only: the kit makes each inbound request's server span itself, in its outermost
 * middleware (`@cinemetrics/kit`'s `http/server-span.ts`). The instrumentation's incoming side would
 * do the same with more work on every request, traced or not: it parses the URL again, binds the
 * request's and the response's emitters to the context, and keeps a set of unended spans.
 */
const http: HttpInstrumentationConfig = {
  disableIncomingRequestInstrumentation: true,
  // The exporters' own requests run with tracing suppressed; skip them before any attribute work.
  ignoreOutgoingRequestHook: () => isTracingSuppressed(context.active()),
  redactedQueryParams: [...REDACTED_QUERY_PARAMETERS],
};

// For requests the kit's client does not make (a `fetch` of the service's own, say): the kit's client
// makes its attempts' spans itself and puts their trace context in (propagated-calls.ts), and a request
// that carries one is skipped. It has no query redaction of its own: the kit's list, applied as the span starts.
// The propagators are set after the instrumentations are built, and never change once a request is made.
let traceFields: ReadonlySet<string> | undefined;
const undici: UndiciInstrumentationConfig = {
  ignoreRequestHook: (request) => carriesTraceContext(request.headers, (traceFields ??= traceContextFields())),
  requestHook: (span, request) => {
    if (!request.path.includes('?')) return;
    const path = redactQuery(request.path);
    span.setAttributes({ 'url.full': `${request.origin}${path}`, 'url.query': path.slice(path.indexOf('?')) });
  },
};

// Router layers carry http.route; a span per middleware costs CPU and explains nothing.
const koa: KoaInstrumentationConfig = { ignoreLayersType: [KoaLayerType.MIDDLEWARE] };

// Log correlation only: the trace fields on every line. The records are sent by the log-export worker.
const pino: PinoInstrumentationConfig = {
  disableLogSending: true,
  logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
};

/**
 * The instrumentations the services use, by their OTEL_NODE_*_INSTRUMENTATIONS names. `mysql2` has no
 * instrumentation object: the kit's database layer makes the query spans itself (`databaseSpans`), only
 * under a span that records. The upstream instrumentation builds a query's attributes and statement text
 * before the sampler is asked, so every query of an unsampled request paid for a span that never records.
 */
const CURATED: Record<string, (() => Instrumentation) | undefined> = {
  http: () => new HttpInstrumentation(http),
  undici: () => new UndiciInstrumentation(undici),
  koa: () => new KoaInstrumentation(koa),
  mysql2: undefined,
  pino: () => new PinoInstrumentation(pino),
};

/** What the preload turns on: the upstream instrumentations, and which spans the kit makes itself. */
export interface InstrumentationChoice {
  instrumentations: Instrumentation[];
  /** With `undici`: the kit's client makes its attempts' spans (the instrumentation traces other requests). */
  clientSpans: boolean;
  /** With `mysql2`: the kit's database layer makes the query spans. */
  databaseSpans: boolean;
}

/**
 * The instrumentations named by OTEL_NODE_ENABLED_INSTRUMENTATIONS minus OTEL_NODE_DISABLED_INSTRUMENTATIONS,
 * as `@opentelemetry/auto-instrumentations-node` reads them. The services' own set is built from its
 * packages directly: the auto-instrumentations package loads some forty instrumentations and every
 * cloud resource detector when it is imported, which multiplies the preload's start-up time. It is
 * loaded only when a user names an instrumentation outside that set, and then builds all of them.
 */
export function instrumentations(enabled: string, disabled: string | undefined): InstrumentationChoice {
  const off = new Set(commaSeparated(disabled));
  const wanted = commaSeparated(enabled).filter((name) => !off.has(name));
  const kitSpans = { clientSpans: wanted.includes('undici'), databaseSpans: wanted.includes('mysql2') };
  if (wanted.every((name) => name in CURATED)) {
    const built = wanted.flatMap((name) => CURATED[name]?.() ?? []);
    return { instrumentations: built, ...kitSpans };
  }
  // It reads the variables itself: the kit's default applies when the variable is unset.
  process.env['OTEL_NODE_ENABLED_INSTRUMENTATIONS'] = enabled;
  const load = createRequire(__filename);
  const auto = load('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const built = auto.getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-http': http,
    '@opentelemetry/instrumentation-undici': undici,
    '@opentelemetry/instrumentation-koa': koa,
    // The kit's query spans stand in for it, as in the curated set: two spans per query otherwise.
    '@opentelemetry/instrumentation-mysql2': { enabled: false },
    '@opentelemetry/instrumentation-pino': pino,
  });
  return { instrumentations: built, ...kitSpans };
}
