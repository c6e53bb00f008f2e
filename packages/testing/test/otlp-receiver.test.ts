import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, TraceFlags, trace, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../src/index.js';

let receiver: OtlpReceiver;

before(async () => {
  receiver = await startOtlpReceiver();
});

beforeEach(() => {
  receiver.setBehaviour('ok');
  receiver.clear();
});

after(async () => {
  await receiver?.close();
});

const RESOURCE = { 'service.name': 'otlp-receiver-test', 'service.version': '1.2.3' };
const START: HrTime = [1_700_000_000, 123_456_789];
const CHILD_END: HrTime = [1_700_000_000, 173_456_789];
const END: HrTime = [1_700_000_000, 223_456_789];

function tracerProvider(compression: CompressionAlgorithm): TracerProvider {
  const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces`, compression });
  return new TracerProvider({ resource: resourceFromAttributes(RESOURCE), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
}

for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
  test(`decodes spans from the real OTLP/protobuf trace exporter (compression: ${compression})`, async () => {
    const provider = tracerProvider(compression);
    const tracer = provider.getTracer('cinemetrics-test-tracer', '0.0.1');
    const parent = tracer.startSpan('GET /movies/:id', {
      kind: SpanKind.SERVER,
      startTime: START,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 500,
        'movie.rating': 4.5,
        'cache.hit': false,
        'movie.genres': ['drama', 'crime'],
      },
    });
    const child = tracer.startSpan(
      'SELECT cinemetrics.movies',
      { kind: SpanKind.CLIENT, startTime: START, attributes: { 'db.system.name': 'mariadb' } },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent('rows fetched', { 'db.response.returned_rows': 1 }, CHILD_END);
    child.end(CHILD_END);
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'metadata service unavailable' });
    parent.end(END);
    await provider.forceFlush();

    const received = await receiver.waitFor(() => (receiver.spans().length >= 2 ? receiver.spans() : undefined));
    // The simple processor sends each span in its own request; they may arrive in either order.
    const spans = [...received].sort((a, b) => (a.endTimeUnixNano < b.endTimeUnixNano ? -1 : 1));
    const parentContext = parent.spanContext();
    const expectedChild: ReceivedSpan = {
      traceId: parentContext.traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parentContext.spanId,
      name: 'SELECT cinemetrics.movies',
      kind: 'CLIENT',
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 1_700_000_000_173_456_789n,
      attributes: { 'db.system.name': 'mariadb' },
      status: { code: 'UNSET' },
      events: [{ name: 'rows fetched', attributes: { 'db.response.returned_rows': 1 } }],
      links: [],
      resource: RESOURCE,
      scope: 'cinemetrics-test-tracer',
    };
    const expectedParent: ReceivedSpan = {
      traceId: parentContext.traceId,
      spanId: parentContext.spanId,
      name: 'GET /movies/:id',
      kind: 'SERVER',
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 1_700_000_000_223_456_789n,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 500,
        'movie.rating': 4.5,
        'cache.hit': false,
        'movie.genres': ['drama', 'crime'],
      },
      status: { code: 'ERROR', message: 'metadata service unavailable' },
      events: [],
      links: [],
      resource: RESOURCE,
      scope: 'cinemetrics-test-tracer',
    };
    assert.deepEqual(spans, [expectedChild, expectedParent]);
    assert.match(expectedParent.traceId, /^[0-9a-f]{32}$/);
    assert.match(expectedParent.spanId, /^[0-9a-f]{16}$/);

    const requests = receiver.requests();
    assert.ok(requests.length >= 1);
    for (const request of requests) {
      assert.equal(request.path, '/v1/traces');
      assert.equal(request.method, 'POST');
      assert.equal(request.contentType, 'application/x-protobuf');
      assert.equal(request.status, 200);
      assert.equal(request.contentEncoding, compression === CompressionAlgorithm.GZIP ? 'gzip' : undefined);
    }
    await provider.shutdown();
  });
}

test('decodes log records from the real OTLP/protobuf log exporter, gzipped', async () => {
  const exporter = new OTLPLogExporter({ url: `${receiver.url}/v1/logs`, compression: CompressionAlgorithm.GZIP });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('cinemetrics-test-logger');
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  logger.emit({
    timestamp: START,
    severityNumber: SeverityNumber.WARN,
    severityText: 'warn',
    body: 'rating service slow',
    attributes: { 'movie.id': 42, 'rating.latency_ms': 812.5 },
    context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
  });
  logger.emit({
    timestamp: END,
    severityNumber: SeverityNumber.INFO,
    body: { event: 'rating.created', stars: 5, tags: ['fresh'] },
    context: ROOT_CONTEXT,
  });
  await provider.forceFlush();

  const received = await receiver.waitFor(() => (receiver.logs().length >= 2 ? receiver.logs() : undefined));
  // The simple processor sends each record in its own request; they may arrive in either order.
  const logs = [...received].sort((a, b) => (a.timeUnixNano < b.timeUnixNano ? -1 : 1));
  for (const log of logs) assert.ok(log.observedTimeUnixNano > 0n, 'the SDK sets the observed timestamp');
  assert.deepEqual(logs, [
    {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      severityText: 'warn',
      severityNumber: 13,
      body: 'rating service slow',
      attributes: { 'movie.id': 42, 'rating.latency_ms': 812.5 },
      timeUnixNano: 1_700_000_000_123_456_789n,
      observedTimeUnixNano: logs[0]?.observedTimeUnixNano,
      resource: RESOURCE,
      scope: 'cinemetrics-test-logger',
    },
    {
      severityNumber: 9,
      body: { event: 'rating.created', stars: 5, tags: ['fresh'] },
      attributes: {},
      timeUnixNano: 1_700_000_000_223_456_789n,
      observedTimeUnixNano: logs[1]?.observedTimeUnixNano,
      resource: RESOURCE,
      scope: 'cinemetrics-test-logger',
    },
  ]);
  // Status 200 with Content-Encoding gzip means the receiver gunzipped the body successfully.
  const requests = receiver.requests();
  assert.ok(requests.length >= 1);
  for (const request of requests) {
    assert.deepEqual([request.path, request.contentType, request.contentEncoding, request.status], [
      '/v1/logs',
      'application/x-protobuf',
      'gzip',
      200,
    ]);
  }
  await provider.shutdown();
});

test('answers an empty protobuf Export*ServiceResponse and rejects what is not OTLP', async () => {
  const empty = await postEmpty('/v1/traces');
  assert.equal(empty.status, 200);
  assert.equal(empty.headers.get('content-type'), 'application/x-protobuf');
  assert.equal((await empty.arrayBuffer()).byteLength, 0);

  const garbage = await fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
  });
  assert.equal(garbage.status, 400);
  assert.match(await garbage.text(), /cannot decode protobuf \/v1\/traces request/);

  const json = await fetch(`${receiver.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 415);
  await json.body?.cancel();
  assert.equal((await fetch(`${receiver.url}/v1/traces`)).status, 405);
  assert.equal((await fetch(`${receiver.url}/v1/metrics`, { method: 'POST' })).status, 404);
  assert.deepEqual(
    receiver.requests().map((request) => request.status),
    [200, 400, 415, 405, 404],
  );
  assert.deepEqual(receiver.spans(), []);
});

test('fail503 and hang behaviours: the exporter gives up within its timeout and close() does not wait', async () => {
  receiver.setBehaviour('fail503');
  const failed = await postEmpty('/v1/traces');
  assert.equal(failed.status, 503);
  await failed.body?.cancel();

  receiver.setBehaviour('hang');
  const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces`, timeoutMillis: 300 });
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const started = Date.now();
  provider.getTracer('hang-test').startSpan('never delivered').end();
  // The simple processor reports the failed export through forceFlush(); only the time matters here.
  await provider.forceFlush().catch(() => undefined);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3_000, `export to a hanging receiver took ${elapsed} ms`);
  await receiver.waitFor(() => receiver.requests().find((request) => request.status === undefined));
  assert.deepEqual(receiver.spans(), [], 'nothing is accepted while hanging');
  await provider.shutdown();

  const hangingReceiver = await startOtlpReceiver();
  hangingReceiver.setBehaviour('hang');
  const pending = fetch(`${hangingReceiver.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
  await hangingReceiver.waitFor(() => (hangingReceiver.requests().length === 1 ? true : undefined));
  const closing = Date.now();
  await hangingReceiver.close();
  assert.ok(Date.now() - closing < 1_000);
  await assert.rejects(pending);
});

test('waitFor times out with a summary of what arrived', async () => {
  await postEmpty('/v1/traces');
  await assert.rejects(
    receiver.waitFor(() => receiver.spans().find((span) => span.name === 'missing'), 200),
    /Timed out after 200 ms waiting for the OTLP receiver.*\nRequests \(1\): \/v1\/traces 200\nSpans \(0\): none/s,
  );
});

/** An empty (valid) protobuf Export request for `path`. */
function postEmpty(path: string): Promise<Response> {
  return fetch(`${receiver.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
}

test('decodes spans and log records from the real OTLP/gRPC exporters, gzipped; fail503 answers UNAVAILABLE', async () => {
  const spanExporter = new GrpcTraceExporter({ url: receiver.grpcUrl, compression: CompressionAlgorithm.GZIP });
  const tracing = new TracerProvider({ resource: resourceFromAttributes(RESOURCE), spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });
  const span = tracing.getTracer('grpc-tracer').startSpan('GET /ratings/:type/:id', { kind: SpanKind.SERVER, attributes: { 'http.route': '/ratings/:type/:id' } });
  span.end();
  const logExporter = new GrpcLogExporter({ url: receiver.grpcUrl });
  const logging = new LoggerProvider({ resource: resourceFromAttributes(RESOURCE), processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  logging.getLogger('grpc-logger').emit({ severityNumber: SeverityNumber.INFO, body: 'request', context: trace.setSpan(ROOT_CONTEXT, span) });
  await Promise.all([tracing.forceFlush(), logging.forceFlush()]);

  const [received] = await receiver.waitFor(() => (receiver.spans().length === 1 ? receiver.spans() : undefined));
  assert.deepEqual(
    [received?.traceId, received?.spanId, received?.name, received?.kind, received?.attributes, received?.resource, received?.scope],
    [span.spanContext().traceId, span.spanContext().spanId, 'GET /ratings/:type/:id', 'SERVER', { 'http.route': '/ratings/:type/:id' }, RESOURCE, 'grpc-tracer'],
  );
  const [log] = await receiver.waitFor(() => (receiver.logs().length === 1 ? receiver.logs() : undefined));
  assert.deepEqual([log?.body, log?.severityNumber, log?.traceId, log?.scope], ['request', 9, span.spanContext().traceId, 'grpc-logger']);
  assert.deepEqual(
    receiver.requests().map((request) => [request.path, request.contentType, request.status]).sort(),
    [
      ['/opentelemetry.proto.collector.logs.v1.LogsService/Export', 'application/grpc', 200],
      ['/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'application/grpc', 200],
    ],
  );

  receiver.clear();
  receiver.setBehaviour('fail503');
  const failed = await new Promise<ExportResult>((resolve) => spanExporter.export([], resolve));
  assert.equal(failed.code, ExportResultCode.FAILED);
  assert.match(String(failed.error), /UNAVAILABLE|14/);
  assert.deepEqual(receiver.requests().map((request) => request.status), [503]);
  await Promise.all([tracing.shutdown(), logging.shutdown()]);
});
