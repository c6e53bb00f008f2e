import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { carriesTraceparent, withTraceContext } from '../src/propagated-calls.js';

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

test('carriesTraceparent reads both forms undici gives a request’s headers, whatever the case of the name', () => {
  assert.equal(carriesTraceparent(['accept', 'application/json', 'TraceParent', `00-${TRACE_ID}-${SPAN_ID}-00`]), true);
  assert.equal(carriesTraceparent(['accept', 'application/json', 'x-traceparent-note', 'traceparent']), false, 'a value is not a name');
  assert.equal(carriesTraceparent([]), false);
  assert.equal(carriesTraceparent(`accept: application/json\r\ntraceparent: 00-${TRACE_ID}-${SPAN_ID}-01\r\n`), true);
  assert.equal(carriesTraceparent('traceparent: x\r\n'), true);
  assert.equal(carriesTraceparent('accept: application/json\r\nx-traceparent: x\r\n'), false);
});
