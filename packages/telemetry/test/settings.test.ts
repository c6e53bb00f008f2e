import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/env.js';
import { loadTelemetrySettings } from '../src/settings.js';

test('no endpoint: spans are created, nothing is exported', () => {
  const settings = loadTelemetrySettings({});
  assert.equal(settings.enabled, true);
  assert.equal(settings.traces, undefined);
  assert.equal(settings.logs, undefined);
  assert.equal(settings.enabledInstrumentations, 'http,undici,mysql2,pino');
});

test('the shared endpoint exports both signals; per-signal protocol, exporter and batch settings apply', () => {
  const settings = loadTelemetrySettings({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
    OTEL_BSP_MAX_QUEUE_SIZE: '64',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
  });
  assert.deepEqual(settings.traces, { protocol: 'grpc', batch: { maxQueueSize: 64, maxExportBatchSize: 128 } });
  assert.deepEqual(settings.logs, { protocol: 'http/protobuf', batch: { scheduledDelayMillis: 100 } });
  const ownBatch = loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' });
  assert.equal(ownBatch.traces?.batch.maxExportBatchSize, 512, 'the variable overrides the kit default of 128 spans per batch');
  const noLogs = loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_LOGS_EXPORTER: 'none' });
  assert.equal(noLogs.logs, undefined);
  assert.ok(noLogs.traces);
  const logsOnly = loadTelemetrySettings({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/v1/logs' });
  assert.equal(logsOnly.traces, undefined);
  assert.ok(logsOnly.logs);
});

test('bad values stop start-up naming the variable', () => {
  assert.throws(
    () => loadTelemetrySettings({ OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '2', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG']);
      return true;
    },
  );
  assert.equal(loadTelemetrySettings({ OTEL_SDK_DISABLED: 'true' }).enabled, false);
});

test('OTEL_PROPAGATORS: the names the preload can install, in any order, blanks ignored; any other name stops start-up', () => {
  for (const value of ['tracecontext,baggage', ' b3 , baggage ', 'b3multi', 'none', 'tracecontext,']) {
    assert.doesNotThrow(() => loadTelemetrySettings({ OTEL_PROPAGATORS: value }), value);
  }
  for (const value of ['xray', 'tracecontext,jaeger', 'W3C']) {
    assert.throws(
      () => loadTelemetrySettings({ OTEL_PROPAGATORS: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, ['OTEL_PROPAGATORS: must be a comma-separated list of tracecontext, baggage, b3, b3multi, none']);
        return true;
      },
      value,
    );
  }
});
