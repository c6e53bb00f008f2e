import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { SeverityNumber, trace } from '@opentelemetry/api';
import { startOtlpReceiver, startProcess, TELEMETRY_PRELOAD, waitUntil, type OtlpReceiver, type RunningProcess } from '@cinemetrics/testing';
import { receiveForwardedSelfObservability } from '../src/telemetry/self-observability-receiver.js';
import { logRecordFromLine } from '../src/telemetry/pino-log-record.js';
import { registry } from '../src/metrics/registry.js';
import { BURST_LINES } from './fixtures/log-burst.js';

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
  const forwarding = require.resolve('../src/telemetry/self-observability-forwarder.js');
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

/** Runs a fixture process under the telemetry preload, exporting to a receiver of its own, until it exits; then `check`s what it left. */
async function afterFixture(
  fixture: string,
  env: Record<string, string>,
  check: (fixtureProcess: RunningProcess, otlp: OtlpReceiver) => Promise<void>,
): Promise<void> {
  const otlp = await startOtlpReceiver();
  try {
    const fixtureProcess = await startProcess({
      name: fixture,
      args: ['--require', TELEMETRY_PRELOAD, require.resolve(`./fixtures/${fixture}.js`)],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, LOG_FORMAT: 'json', ...env },
    });
    await fixtureProcess.exited;
    await check(fixtureProcess, otlp);
  } finally {
    await otlp.close();
  }
}

test('a crash is logged on stdout, and its log record and the spans still queued are exported before the process exits', async () => {
  // Batch delays far longer than the test: only flushes at the crash can deliver anything.
  const longDelays = { OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BLRP_SCHEDULE_DELAY: '600000' };
  await afterFixture('crash-after-start', longDelays, async (crashing, otlp) => {
    assert.equal((await crashing.exited).code, 1);
    const fatal = crashing.jsonLines().find((line) => line['msg'] === 'uncaught exception');
    assert.equal(fatal?.['level'], 'fatal', 'the crash is on stdout');
    assert.match(String((fatal?.['err'] as { message?: string } | undefined)?.message), /boom/);
    const record = otlp.logs().find((log) => log.body === 'uncaught exception');
    assert.ok(record, `the crash's log record was exported; received: ${otlp.logs().map((log) => String(log.body)).join(', ')}`);
    assert.equal(record.severityNumber, SeverityNumber.FATAL);
    assert.equal(record.resource['service.name'], 'kit');
    assert.ok(otlp.spans().some((span) => span.name === 'work before the crash'), 'the span queued before the crash was exported');
  });
});

test('a line logged after the log-export worker has ended still reaches stdout, and nothing crashes', async () => {
  await afterFixture('log-after-shutdown', {}, async (late, otlp) => {
    assert.deepEqual(await late.exited, { code: 0, signal: null });
    const messages = late.jsonLines().map((line) => line['msg']);
    assert.deepEqual(messages.filter((msg) => msg === 'before shutdown' || msg === 'after shutdown'), ['before shutdown', 'after shutdown']);
    assert.ok(otlp.logs().some((log) => log.body === 'before shutdown'), 'the line before the shutdown was exported');
  });
});

test('a burst of lines handed to the worker together reaches stdout whole and in order, and each line is exported once', async () => {
  await afterFixture('log-burst', {}, async (burst, otlp) => {
    assert.deepEqual(await burst.exited, { code: 0, signal: null });
    const stdoutSequence = burst.jsonLines().filter((line) => line['msg'] === 'burst line').map((line) => line['sequence']);
    const expected = Array.from({ length: BURST_LINES }, (_, sequence) => sequence);
    assert.deepEqual(stdoutSequence, expected, 'every line once on stdout, in the order logged');
    const exported = otlp.logs().filter((log) => log.body === 'burst line').map((log) => Number(log.attributes['sequence']));
    assert.deepEqual(exported.sort((a, b) => a - b), expected, 'every line exported exactly once');
  });
});

test('a line logged right before process.exit, with no flush, still reaches stdout', async () => {
  await afterFixture('exit-right-after-log', {}, async (exiting) => {
    assert.deepEqual(await exiting.exited, { code: 0, signal: null });
    assert.ok(exiting.jsonLines().some((line) => line['msg'] === 'last words'), `stdout: ${exiting.lines().join('\n')}`);
  });
});

test('the log-export worker loads neither prom-client nor the kit\'s registry (it would run default metrics of its own)', () => {
  const transport = require.resolve('../src/telemetry/otlp-log-transport.js');
  const loaded = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(transport)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  const modules = JSON.parse(loaded) as string[];
  assert.ok(modules.some((file) => file.endsWith('otlp-log-transport.js')));
  assert.deepEqual(modules.filter((file) => /[\\/]prom-client[\\/]|metrics[\\/]registry\.js$/.test(file)), []);
});
