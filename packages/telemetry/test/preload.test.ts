import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** Runs `script` in a fresh process started with the preload and `env`, and returns what it printed as JSON. */
function withPreload(env: Record<string, string>, script: string): unknown {
  const output = execFileSync(process.execPath, ['--require', '@cinemetrics/telemetry/register', '-e', script], {
    encoding: 'utf8',
    cwd: __dirname,
    env: { PATH: process.env['PATH'] ?? '', OTEL_SERVICE_NAME: 'preload-test', ...env },
  });
  return JSON.parse(output);
}

const LOADED_PACKAGES = `
  const names = new Set(Object.keys(require.cache).flatMap((file) => file.match(/node_modules\\/(@[^/]+\\/[^/]+|[^/@][^/]*)\\//g) ?? []));
  console.log(JSON.stringify([...names].map((name) => name.slice('node_modules/'.length, -1)).sort()));`;

const UNUSED = ['@opentelemetry/sdk-node', '@opentelemetry/configuration', '@opentelemetry/exporter-zipkin', '@grpc/grpc-js', '@opentelemetry/propagator-b3'];

test('the preload loads only what the configuration asks for: no sdk-node, gRPC, Zipkin, metrics exporters or YAML configuration', () => {
  const loaded = withPreload({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, LOADED_PACKAGES) as string[];
  assert.ok(loaded.includes('@opentelemetry/exporter-trace-otlp-proto'), `the http/protobuf trace exporter is loaded: ${loaded.join(', ')}`);
  assert.deepEqual(loaded.filter((name) => UNUSED.includes(name) || name.startsWith('@opentelemetry/exporter-metrics') || name === 'yaml'), []);
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc and OTEL_PROPAGATORS=b3 load the gRPC exporter and the B3 propagator when asked for', () => {
  const loaded = withPreload(
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_PROPAGATORS: 'b3' },
    LOADED_PACKAGES,
  ) as string[];
  for (const name of ['@opentelemetry/exporter-trace-otlp-grpc', '@grpc/grpc-js', '@opentelemetry/propagator-b3']) assert.ok(loaded.includes(name), name);
});

const TRACER_STATE = `
  const { propagation, trace, context } = require('@opentelemetry/api');
  const span = trace.getTracer('test').startSpan('probe', { attributes: { a: 'abcdef', b: 2, c: 3 } });
  const carrier = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  console.log(JSON.stringify({ recording: span.isRecording(), attributes: span.attributes ?? null, headers: Object.keys(carrier).sort(), resource: span.resource?.attributes ?? null }));`;

interface TracerState {
  recording: boolean;
  attributes: Record<string, unknown> | null;
  headers: string[];
  resource: Record<string, unknown> | null;
}

test('by default: parent-based always-on sampling, W3C trace context and baggage, the service name and OTEL_RESOURCE_ATTRIBUTES on the resource', () => {
  const state = withPreload({ OTEL_RESOURCE_ATTRIBUTES: 'team=movies' }, TRACER_STATE) as TracerState;
  assert.equal(state.recording, true);
  assert.deepEqual(state.attributes, { a: 'abcdef', b: 2, c: 3 });
  assert.deepEqual(state.headers, ['traceparent']);
  assert.equal(state.resource?.['service.name'], 'preload-test');
  assert.equal(state.resource?.['team'], 'movies');
  assert.equal(state.resource?.['deployment.environment.name'], 'development');
  assert.equal(typeof state.resource?.['process.pid'], 'number');
  assert.equal(typeof state.resource?.['host.name'], 'string');
});

test('OTEL_TRACES_SAMPLER, OTEL_SPAN_ATTRIBUTE_* limits and OTEL_PROPAGATORS are honoured', () => {
  const off = withPreload({ OTEL_TRACES_SAMPLER: 'always_off' }, TRACER_STATE) as TracerState;
  assert.equal(off.recording, false);
  const none = withPreload({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, TRACER_STATE) as TracerState;
  assert.equal(none.recording, false);
  const limited = withPreload({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3' }, TRACER_STATE) as TracerState;
  assert.deepEqual(limited.attributes, { a: 'abc', b: 2 });
  const b3 = withPreload({ OTEL_PROPAGATORS: 'b3multi,baggage' }, TRACER_STATE) as TracerState;
  assert.deepEqual(b3.headers, ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
  const nothing = withPreload({ OTEL_PROPAGATORS: 'none' }, TRACER_STATE) as TracerState;
  assert.deepEqual(nothing.headers, []);
});
