import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { carriesTraceContext, traceContextFields, withTraceContext } from '../src/propagated-calls.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

test('withTraceContext adds the context’s traceparent, sampled or not, to a copy; the caller’s object is left alone', () => {
  const headers = { accept: 'application/json' };
  for (const [flags, suffix] of [[TraceFlags.NONE, '00'], [TraceFlags.SAMPLED, '01']] as const) {
    const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: flags });
    const sent = withTraceContext(headers, trace.setSpan(context.active(), span));
    assert.deepEqual(sent, { accept: 'application/json', traceparent: `00-${TRACE_ID}-${SPAN_ID}-${suffix}` });
  }
  assert.deepEqual(headers, { accept: 'application/json' });
});

test('carriesTraceContext reads both forms undici gives a request’s headers, whatever the case of the name', () => {
  const w3c = new Set(['traceparent', 'tracestate']);
  assert.equal(carriesTraceContext(['accept', 'application/json', 'TraceParent', `00-${TRACE_ID}-${SPAN_ID}-00`], w3c), true);
  assert.equal(carriesTraceContext(['accept', 'application/json', 'x-traceparent-note', 'traceparent'], w3c), false, 'a value is not a name');
  assert.equal(carriesTraceContext([], w3c), false);
  assert.equal(carriesTraceContext(`accept: application/json\r\ntraceparent: 00-${TRACE_ID}-${SPAN_ID}-01\r\n`, w3c), true);
  assert.equal(carriesTraceContext('traceparent: x\r\n', w3c), true);
  assert.equal(carriesTraceContext('accept: application/json\r\nx-traceparent: x\r\n', w3c), false);
  assert.equal(carriesTraceContext(['b3', `${TRACE_ID}-${SPAN_ID}-1`], new Set(['b3'])), true, 'B3 single');
  assert.equal(carriesTraceContext(['b3', `${TRACE_ID}-${SPAN_ID}-1`], w3c), false);
  assert.equal(carriesTraceContext(['traceparent', 'x'], new Set()), false, 'no propagator, no trace header');
});

test('traceContextFields: the configured propagators’ trace headers, baggage left out', () => {
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  assert.deepEqual([...traceContextFields()].sort(), ['traceparent', 'tracestate']);
  propagation.disable();
  assert.deepEqual([...traceContextFields()], [], 'no propagator');
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
