import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { SeverityNumber, trace } from '@opentelemetry/api';
import { waitUntil } from '@cinemetrics/testing';
import { receiveForwardedSelfObservability } from '../src/self-observability-receiver.js';
import { logRecordFromLine } from '../src/pino-log-record.js';
import { registry } from '../src/metrics-registry.js';

test('a pino line becomes a log record: message as body, level as severity, trace fields as span context, the rest as attributes', () => {
  const record = logRecordFromLine({
    level: 'warn',
    time: '2026-11-22T05:00:00.123Z',
    pid: 7,
    hostname: 'h',
    service: 'metadata',
    component: 'http',
    msg: 'request completed',
    'http.route': '/metadata/:id',
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    trace_flags: '01',
  });
  assert.equal(record.body, 'request completed');
  assert.equal(record.severityNumber, SeverityNumber.WARN);
  assert.equal(record.severityText, 'warn');
  assert.equal(record.timestamp, Date.parse('2026-11-22T05:00:00.123Z'));
  assert.deepEqual(record.attributes, { service: 'metadata', component: 'http', 'http.route': '/metadata/:id' });
  const spanContext = record.context && trace.getSpanContext(record.context);
  assert.deepEqual(spanContext, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: false });
});

test('lines outside a request, with errors or odd values, still make valid records', () => {
  const record = logRecordFromLine({ level: 'error', time: 'not a time', msg: 'boom', err: { type: 'Error', message: 'x' }, trace_id: 'zz', span_id: 'b7ad6b7169203331' });
  assert.equal(record.context, undefined, 'an invalid trace id gives no span context');
  assert.deepEqual(record.exception, { type: 'Error', message: 'x' });
  assert.ok(typeof record.timestamp === 'number' && Math.abs(record.timestamp - Date.now()) < 5000, 'an unreadable time falls back to now');
  assert.equal(logRecordFromLine({ level: 30 }).severityNumber, SeverityNumber.UNSPECIFIED);
});

test('self-observability measured in a worker thread reaches the main thread\'s /metrics', async () => {
  const receiver = receiveForwardedSelfObservability();
  const forwarding = require.resolve('../src/self-observability-forwarder.js');
  const worker = new Worker(
    `const { forwardingMeterProvider } = require(${JSON.stringify(forwarding)});
     const provider = forwardingMeterProvider(20);
     const meter = provider.getMeter('test');
     const processed = meter.createCounter('otel.sdk.processor.log.processed');
     processed.add(3, { 'otel.component.type': 'batching_log_processor', 'error.type': 'queue_full' });
     processed.add(2, { 'otel.component.type': 'batching_log_processor', 'error.type': 'queue_full' });
     meter.createObservableUpDownCounter('otel.sdk.processor.log.queue.size').addCallback((r) => r.observe(17, { 'otel.component.type': 'batching_log_processor' }));
     provider.close();`,
    { eval: true },
  );
  try {
    const metrics = await waitUntil(
      async () => {
        const text = await registry.metrics();
        return /otel_sdk_processor_log_processed_total\{[^}]*error_type="queue_full"\} 5/.test(text) && /otel_sdk_processor_log_queue_size\{[^}]*\} 17/.test(text) ? text : undefined;
      },
      { timeoutMs: 5000, what: 'the worker\'s counts in the registry', describe: async () => (await registry.metrics()).split('\n').filter((l) => l.startsWith('otel_sdk')).join('\n') },
    );
    assert.match(metrics, /otel_component_type="batching_log_processor"/);
  } finally {
    await worker.terminate();
    receiver.close();
  }
});

test('the log-export worker loads neither prom-client nor the process\'s metrics registry (it would run default metrics of its own)', () => {
  const transport = require.resolve('../src/otlp-log-transport.js');
  const loaded = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(transport)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  const modules = JSON.parse(loaded) as string[];
  assert.ok(modules.some((file) => file.endsWith('otlp-log-transport.js')));
  assert.deepEqual(modules.filter((file) => /[\\/]prom-client[\\/]|metrics-registry\.js$/.test(file)), []);
});
