import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, serviceMain, startOtlpReceiver, startProcess, startService, TELEMETRY_PRELOAD, type OtlpReceiver, type ReceivedSpan } from '@cinemetrics/testing';
import { otlpEnv, startMovieStack } from '../support/stack.js';

const KOA_SCOPE = '@opentelemetry/instrumentation-koa';
const SERVER_SCOPE = '@cinemetrics/kit';

const get = async (url: string, headers: Record<string, string> = {}): Promise<void> => {
  await (await fetch(url, { headers })).arrayBuffer();
};

const service = (span: ReceivedSpan) => span.resource['service.name'];

function serverSpanAt(otlp: OtlpReceiver, path: string) {
  return otlp.waitFor(() => otlp.spans().find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === path));
}

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends spans and log records over OTLP/gRPC with the configured headers, and nothing over HTTP', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', { env: otlpEnv(otlp, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=movies' }) });
  try {
    await get(`${metadata.url}/metadata/over-grpc`);
    const server = await serverSpanAt(otlp, '/metadata/over-grpc');
    assert.equal(server.attributes['http.route'], '/metadata/:id');
    assert.equal(server.resource['service.name'], 'metadata');
    const access = await otlp.waitFor(() => otlp.logs().find((log) => log.traceId === server.traceId && log.body === 'request completed'));
    assert.equal(access.attributes['http.route'], '/metadata/:id');
    const paths = new Set(otlp.requests().map((request) => request.path));
    assert.deepEqual([...paths].sort(), [
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    ]);
    assert.ok(otlp.requests().every((request) => request.headers['x-tenant'] === 'movies'), 'OTEL_EXPORTER_OTLP_HEADERS become gRPC metadata');
  } finally {
    await metadata.stop();
    await otlp.close();
  }
});

test('by default a request has no koa span and its server span carries the route; OTEL_NODE_ENABLED_INSTRUMENTATIONS adds koa, OTEL_NODE_DISABLED_INSTRUMENTATIONS removes it again', async () => {
  const otlp = await startOtlpReceiver();
  const withKoa = 'http,undici,koa,mysql2,pino';
  const [byDefault, enabled, disabled] = await Promise.all([
    startService('metadata', { env: otlpEnv(otlp, { OTEL_SERVICE_NAME: 'metadata-default' }) }),
    startService('metadata', { env: otlpEnv(otlp, { OTEL_SERVICE_NAME: 'metadata-koa', OTEL_NODE_ENABLED_INSTRUMENTATIONS: withKoa }) }),
    startService('metadata', {
      env: otlpEnv(otlp, { OTEL_SERVICE_NAME: 'metadata-no-koa', OTEL_NODE_ENABLED_INSTRUMENTATIONS: withKoa, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'koa' }),
    }),
  ]);
  try {
    await Promise.all([get(`${byDefault.url}/metadata/default`), get(`${enabled.url}/metadata/koa`), get(`${disabled.url}/metadata/no-koa`)]);
    const traceAt = async (path: string) => {
      const server = await serverSpanAt(otlp, path);
      assert.equal(server.name, 'GET /metadata/:id', `${path}: the server span is named by its route`);
      assert.equal(server.attributes['http.route'], '/metadata/:id');
      // The koa span ends before the server span, so it is in the same batch or an earlier one.
      return otlp.spans().filter((span) => span.traceId === server.traceId);
    };
    const scopes = (spans: { scope: string }[]) => new Set(spans.map((span) => span.scope));
    const defaultScopes = scopes(await traceAt('/metadata/default'));
    assert.ok(defaultScopes.has(SERVER_SCOPE) && !defaultScopes.has(KOA_SCOPE), `default scopes: ${[...defaultScopes].join(', ')}`);
    const koaSpan = (await traceAt('/metadata/koa')).find((span) => span.scope === KOA_SCOPE);
    assert.equal(koaSpan?.attributes['http.route'], '/metadata/:id', 'koa, when named, adds its router span');
    const disabledScopes = scopes(await traceAt('/metadata/no-koa'));
    assert.ok(!disabledScopes.has(KOA_SCOPE), `no koa span when koa is disabled: ${[...disabledScopes].join(', ')}`);
  } finally {
    await Promise.all([byDefault.stop(), enabled.stop(), disabled.stop()]);
    await otlp.close();
  }
});

test('with no OTLP endpoint, requests still get trace ids, and nothing warns or fails', async () => {
  const metadata = await startService('metadata', { env: { LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: undefined } });
  for (let i = 0; i < 20; i += 1) await get(`${metadata.url}/metadata/quiet-${i}`);
  assert.deepEqual(await metadata.stop(), { code: 0, signal: null });
  const lines = metadata.jsonLines();
  const access = lines.filter((line) => line['msg'] === 'request completed' && line['url.path'] !== '/.well-known/health');
  assert.equal(access.length, 20);
  for (const line of access) assert.match(String(line['trace_id']), /^[0-9a-f]{32}$/);
  const inMemoryStore = (line: Record<string, unknown>) => line['store'] === 'memory';
  const complaints = lines.filter((line) => ['warn', 'error', 'fatal'].includes(String(line['level'])) && !inMemoryStore(line));
  assert.deepEqual(complaints, [], 'the only warning is the in-memory store\'s');
  assert.deepEqual(metadata.lines().filter((line) => !line.startsWith('{')), [], 'every line is a JSON log line: no SDK diagnostics');
});

test('with the collector unreachable, SIGTERM stops the service within its shutdown budget: what it could not export is dropped with one warning, and nothing is an error', async () => {
  // A loopback port nothing listens on: every export is refused and retried until its timeout, far
  // longer than the shutdown's budget.
  const closedPort = await freePort();
  const metadata = await startService('metadata', {
    env: { LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`, OTEL_EXPORTER_OTLP_TIMEOUT: '30000', SHUTDOWN_TIMEOUT_MS: '1000' },
  });
  for (let i = 0; i < 5; i += 1) await get(`${metadata.url}/metadata/undelivered-${i}`);
  assert.deepEqual(await metadata.stop(), { code: 0, signal: null });
  const lines = metadata.jsonLines();
  const notFlushed = lines.filter((line) => line['msg'] === 'telemetry not flushed; spans and log records not yet exported are dropped');
  assert.equal(notFlushed.length, 1, JSON.stringify(lines.slice(-5)));
  assert.equal(notFlushed[0]?.['level'], 'warn');
  assert.deepEqual(lines.filter((line) => ['error', 'fatal'].includes(String(line['level']))), []);
  // The exporters would retry for 30 s, and ending the log worker used to wait for them on the event
  // loop (up to 10 s): the warning comes after the 1 s budget and the worker's last second, not after those.
  const started = lines.find((line) => line['msg'] === 'shutdown started');
  const waitedMs = Date.parse(String(notFlushed[0]?.['time'])) - Date.parse(String(started?.['time']));
  assert.ok(waitedMs < 8_000, `the stop waited ${waitedMs} ms for telemetry`);
});

/** pino-pretty's first line of an access-log entry: `[time] LEVEL: message`. */
const PRETTY_ACCESS_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request completed$/;

const stripColours = (line: string): string => line.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r$/, '');

test('on a terminal the logs are pretty; LOG_FORMAT=pretty forces it, and the records are still exported once', async () => {
  // `script` gives the service a pseudo-terminal as stdout, as an interactive shell would.
  const port = await freePort();
  const quoted = [process.execPath, '--require', TELEMETRY_PRELOAD, serviceMain('metadata')].map((word) => `'${word}'`).join(' ');
  const onTerminal = await startProcess({
    name: 'metadata-tty',
    command: 'script',
    args: ['--quiet', '--flush', '--return', '--command', quoted, '/dev/null'],
    env: { PORT: String(port), ADMIN_PORT: String(await freePort()), LOG_LEVEL: 'info', LOG_FORMAT: undefined, OTEL_SDK_DISABLED: 'true' },
    readyUrl: `http://127.0.0.1:${port}/.well-known/health`,
  });
  try {
    await get(`http://127.0.0.1:${port}/metadata/on-a-tty`);
    const line = stripColours(await onTerminal.waitForLine((text) => text.includes('request completed')));
    assert.match(line, PRETTY_ACCESS_LINE);
    assert.ok(onTerminal.lines().some((text) => /\x1b\[\d+m/.test(text)), 'colours on a terminal');
    assert.deepEqual(onTerminal.jsonLines(), [], 'no JSON on a terminal');
  } finally {
    await onTerminal.stop();
  }

  const otlp = await startOtlpReceiver();
  const forced = await startService('metadata', { env: otlpEnv(otlp, { LOG_FORMAT: 'pretty' }) });
  try {
    await get(`${forced.url}/metadata/forced-pretty`);
    const server = await serverSpanAt(otlp, '/metadata/forced-pretty');
    const records = await otlp.waitFor(() => {
      const found = otlp.logs().filter((log) => log.traceId === server.traceId && log.body === 'request completed');
      return found.length > 0 ? found : undefined;
    });
    await forced.stop();
    assert.equal(otlp.logs().filter((log) => log.traceId === server.traceId && log.body === 'request completed').length, 1, 'exported once');
    assert.equal(records[0]?.attributes['url.path'], '/metadata/forced-pretty');
    // pino-pretty writes the message on one line and each field indented on the lines below it.
    const lines = forced.lines().map(stripColours);
    const traceLine = lines.findIndex((text) => text === `    trace_id: "${server.traceId}"`);
    assert.ok(traceLine > 0, `the pretty output shows the trace id:\n${lines.join('\n')}`);
    assert.match(lines.slice(0, traceLine).findLast((text) => !text.startsWith(' ')) ?? '', PRETTY_ACCESS_LINE);
    assert.deepEqual(forced.jsonLines(), [], 'no JSON on stdout either');
    assert.ok(!forced.lines().some((text) => /\x1b\[/.test(text)), 'no colours on a pipe');
  } finally {
    await forced.stop();
    await otlp.close();
  }
});

test('parent-based sampling: a sampled caller\'s trace is continued and exported; unsampled and new traces are not', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', {
    env: otlpEnv(otlp, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }),
  });
  const sampled = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7' };
  const unsampled = '5bf92f3577b34da6a3ce929d0e0e4737';
  try {
    await get(`${metadata.url}/metadata/no-caller`);
    await get(`${metadata.url}/metadata/unsampled-caller`, { traceparent: `00-${unsampled}-00f067aa0ba902b7-00` });
    await get(`${metadata.url}/metadata/sampled-caller?lang=en`, { traceparent: `00-${sampled.traceId}-${sampled.parentId}-01` });
    const server = await serverSpanAt(otlp, '/metadata/sampled-caller');
    assert.deepEqual([server.traceId, server.parentSpanId], [sampled.traceId, sampled.parentId]);
    assert.deepEqual(
      [server.name, server.attributes['http.route'], server.attributes['http.response.status_code'], server.attributes['url.query']],
      ['GET /metadata/:id', '/metadata/:id', 404, 'lang=en'],
      'a continued trace’s server span is complete though the service samples nothing of its own',
    );
    // Spans are exported in the order they end: anything from the two earlier requests came first.
    assert.deepEqual([...new Set(otlp.spans().map((span) => span.traceId))], [sampled.traceId]);
    assert.ok(otlp.spans().some((span) => span.name === 'Repository/Get' && span.parentSpanId !== undefined));

    // Lines reach stdout through the log-export worker, a little after the response.
    const access = async (path: string) =>
      JSON.parse(await metadata.waitForLine((_line, json) => json?.['msg'] === 'request completed' && json['url.path'] === path)) as Record<string, unknown>;
    const unsampledLine = await access('/metadata/unsampled-caller');
    assert.equal(unsampledLine['trace_id'], unsampled, 'an unsampled trace still correlates its log lines');
    assert.equal(unsampledLine['trace_flags'], '00');
    assert.equal((await access('/metadata/sampled-caller'))['trace_flags'], '01');
  } finally {
    await metadata.stop();
    await otlp.close();
  }
});

test('standard OTLP variables: per-signal endpoints, headers, gzip, service name and resource attributes, on both signals', async () => {
  const [tracesTo, logsTo] = await Promise.all([startOtlpReceiver(), startOtlpReceiver()]);
  const secret = 'collector-secret-0123456789';
  const metadata = await startService('metadata', {
    env: {
      LOG_FORMAT: 'json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${tracesTo.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${logsTo.url}/v1/logs`,
      OTEL_EXPORTER_OTLP_HEADERS: `x-tenant=movies,authorization=Bearer%20${secret}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_SERVICE_NAME: 'catalogue',
      OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cinemetrics,team=movies',
    },
  });
  try {
    await get(`${metadata.url}/metadata/standard-variables`);
    const server = await serverSpanAt(tracesTo, '/metadata/standard-variables');
    const log = await logsTo.waitFor(() => logsTo.logs().find((record) => record.traceId === server.traceId));
    for (const resource of [server.resource, log.resource]) {
      assert.deepEqual([resource['service.name'], resource['service.namespace'], resource['team']], ['catalogue', 'cinemetrics', 'movies']);
    }
    assert.deepEqual([tracesTo.logs(), logsTo.spans()], [[], []], 'each signal went to its own endpoint');
    for (const [receiver, path] of [[tracesTo, '/v1/traces'], [logsTo, '/v1/logs']] as const) {
      for (const request of receiver.requests()) {
        assert.deepEqual(
          [request.path, request.contentEncoding, request.status, request.headers['x-tenant'], request.headers['authorization']],
          [path, 'gzip', 200, 'movies', `Bearer ${secret}`],
        );
      }
    }
  } finally {
    await metadata.stop();
    await Promise.all([tracesTo.close(), logsTo.close()]);
  }
  assert.ok(!metadata.lines().some((line) => line.includes(secret)), 'the collector credential is never logged');
});

test('a bad OTEL_* value stops start-up in the preload with exit code 2, naming every bad variable', async () => {
  const proc = await startProcess({
    name: 'metadata-bad-telemetry',
    args: ['--require', TELEMETRY_PRELOAD, serviceMain('metadata')],
    env: {
      PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'udp',
      OTEL_BSP_MAX_QUEUE_SIZE: 'lots',
      OTEL_PROPAGATORS: 'tracecontext,xray',
    },
  });
  assert.deepEqual(await proc.exited, { code: 2, signal: null });
  const output = proc.lines().join('\n');
  for (const variable of ['OTEL_TRACES_SAMPLER', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_PROPAGATORS']) assert.match(output, new RegExp(`${variable}: `));
  assert.doesNotMatch(output, /service started/, 'nothing started');
});

test('with B3 propagation each of the kit’s downstream attempts is still one span, and the downstream continues it', async () => {
  const stack = await startMovieStack({ OTEL_PROPAGATORS: 'b3' });
  try {
    const { otlp } = stack;
    // Movie's first call fetches its client-credentials token, a request of its own under the call's span.
    await get(`${stack.movie.url}/movies/warm-up`);
    await otlp.waitFor(() => otlp.spans().find((span) => span.name.startsWith('Downstream/')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    otlp.clear();
    await get(`${stack.movie.url}/movies/tt-b3-propagated`);
    const calls = await otlp.waitFor(() => {
      const found = otlp.spans().filter((span) => span.name.startsWith('Downstream/') && service(span) === 'movie');
      const servers = otlp.spans().filter((span) => span.kind === 'SERVER' && service(span) !== 'movie' && found.some((call) => call.traceId === span.traceId));
      return found.length >= 2 && servers.length >= 2 ? found : undefined;
    });
    for (const call of calls) {
      const attempts = otlp.spans().filter((span) => span.kind === 'CLIENT' && span.parentSpanId === call.spanId);
      assert.deepEqual(attempts.map((span) => span.scope), ['@cinemetrics/kit'], `${call.name}: one attempt span, the kit's; the undici instrumentation skipped it`);
      const [attempt] = attempts as [ReceivedSpan];
      const downstream = otlp.spans().find((span) => span.kind === 'SERVER' && span.parentSpanId === attempt.spanId);
      assert.ok(downstream, `${call.name}: the downstream's server span is the attempt's child, over B3`);
      assert.equal(downstream.traceId, call.traceId);
    }
  } finally {
    await stack.stop();
  }
});
