import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { carriesTraceparent, withUnsampledTraceContext } from '../src/unsampled-calls.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new TracerProvider({ sampler: new AlwaysOnSampler() }));

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

test('under an unsampled span a call’s headers gain that span’s trace context, unsampled; the caller’s object is left alone', () => {
  const unsampled = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE });
  const headers = { accept: 'application/json' };
  const sent = context.with(trace.setSpan(context.active(), unsampled), () => withUnsampledTraceContext(headers));
  assert.deepEqual(sent, { accept: 'application/json', traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` });
  assert.deepEqual(headers, { accept: 'application/json' });
});

test('under a recording span, and outside any span, the headers are left to the instrumentation', () => {
  const headers = { accept: 'application/json' };
  const recording = trace.getTracer('test').startSpan('request');
  assert.ok(recording.isRecording());
  assert.equal(context.with(trace.setSpan(context.active(), recording), () => withUnsampledTraceContext(headers)), headers);
  recording.end();
  assert.equal(withUnsampledTraceContext(headers), headers);
});

test('carriesTraceparent reads both forms undici gives a request’s headers, whatever the case of the name', () => {
  assert.equal(carriesTraceparent(['accept', 'application/json', 'TraceParent', `00-${TRACE_ID}-${SPAN_ID}-00`]), true);
  assert.equal(carriesTraceparent(['accept', 'application/json', 'x-traceparent-note', 'traceparent']), false, 'a value is not a name');
  assert.equal(carriesTraceparent([]), false);
  assert.equal(carriesTraceparent(`accept: application/json\r\ntraceparent: 00-${TRACE_ID}-${SPAN_ID}-01\r\n`), true);
  assert.equal(carriesTraceparent('traceparent: x\r\n'), true);
  assert.equal(carriesTraceparent('accept: application/json\r\nx-traceparent: x\r\n'), false);
});
