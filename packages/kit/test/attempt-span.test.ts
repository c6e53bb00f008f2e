import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { attemptTarget, endAnsweredAttempt, endFailedAttempt, traceAttempt } from '../src/client/attempt-span.js';

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(
  new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
);
const tracer = trace.getTracer('attempt-span-test');
const target = attemptTarget('rating', new URL('http://rating:8082'), true);
const headers = { accept: 'application/json' };

function inSpan<T>(parent: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), parent), work);
}

test('under a sampled request an attempt gets a client span, and the downstream is sent that span’s context', () => {
  exporter.reset();
  const request = tracer.startSpan('GET /movies/:id');
  const attempt = inSpan(request, () => traceAttempt(target, { method: 'GET', path: '/ratings/movie/tt1?access_token=s3cr3t', headers, resends: 1 }));
  assert.ok(attempt.span);
  endAnsweredAttempt(attempt.span, 200);
  request.end();
  const [span] = exporter.getFinishedSpans().filter((finished) => finished.kind === SpanKind.CLIENT);
  assert.ok(span);
  assert.equal(span.name, 'GET');
  assert.equal(span.instrumentationScope.name, '@cinemetrics/kit');
  assert.equal(span.parentSpanContext?.spanId, request.spanContext().spanId);
  assert.deepEqual(span.attributes, {
    'http.request.method': 'GET',
    'peer.service': 'rating',
    'server.address': 'rating',
    'server.port': 8082,
    'url.full': 'http://rating:8082/ratings/movie/tt1?access_token=REDACTED',
    'http.request.resend_count': 1,
    'http.response.status_code': 200,
  });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  const { traceId, spanId } = span.spanContext();
  assert.deepEqual(attempt.headers, { accept: 'application/json', traceparent: `00-${traceId}-${spanId}-01` });
  assert.deepEqual(headers, { accept: 'application/json' }, 'the call’s own headers are left alone');
});

test('a failed attempt says how: an error status is error.type, no answer is its code with the exception', () => {
  exporter.reset();
  const request = tracer.startSpan('GET /movies/:id');
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  inSpan(request, () => {
    endAnsweredAttempt(traceAttempt(target, { method: 'GET', path: '/a', headers, resends: 0 }).span, 503);
    endFailedAttempt(traceAttempt(target, { method: 'PURGE', path: '/b', headers, resends: 0 }).span, refused);
  });
  request.end();
  const [answered, unanswered] = exporter.getFinishedSpans().filter((finished) => finished.kind === SpanKind.CLIENT);
  assert.ok(answered && unanswered);
  assert.deepEqual([answered.status.code, answered.attributes['error.type'], answered.attributes['http.response.status_code']], [SpanStatusCode.ERROR, '503', 503]);
  assert.deepEqual([unanswered.name, unanswered.attributes['http.request.method'], unanswered.attributes['http.request.method_original']], ['HTTP', '_OTHER', 'PURGE']);
  assert.deepEqual([unanswered.status.code, unanswered.attributes['error.type'], unanswered.events[0]?.name], [SpanStatusCode.ERROR, 'ECONNREFUSED', 'exception']);
});

test('under an unsampled request no span is made, and the downstream is sent that request’s own unsampled context', () => {
  exporter.reset();
  const unsampled = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE });
  const attempt = inSpan(unsampled, () => traceAttempt(target, { method: 'GET', path: '/a', headers, resends: 0 }));
  assert.equal(attempt.span, undefined);
  assert.deepEqual(attempt.headers, { accept: 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
  endAnsweredAttempt(attempt.span, 200);
  assert.deepEqual(exporter.getFinishedSpans(), []);
});

test('outside any request, or when the kit does not trace attempts, the headers are left to the undici instrumentation', () => {
  assert.equal(traceAttempt(target, { method: 'GET', path: '/a', headers, resends: 0 }).headers, headers);
  const untraced = attemptTarget('metadata', new URL('https://metadata'), false);
  assert.deepEqual([untraced.address, untraced.port], ['metadata', 443]);
  const request = tracer.startSpan('GET /movies/:id');
  const attempt = inSpan(request, () => traceAttempt(untraced, { method: 'GET', path: '/a', headers, resends: 0 }));
  request.end();
  assert.deepEqual([attempt.headers, attempt.span], [headers, undefined]);
});
