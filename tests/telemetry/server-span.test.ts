/**
 * The server span of every inbound request, made by the kit's outermost middleware (the HTTP
 * instrumentation only traces outgoing requests under the kit's preload): what it carries, what it
 * leaves out, and that a service set up with the stock SDK instead still gets exactly one, named by
 * the kit's route.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { freePort, serviceMain, startOtlpReceiver, startProcess, startService, type OtlpReceiver } from '@cinemetrics/testing';
import { otlpEnv } from '../support/stack.js';

const KIT_SCOPE = '@cinemetrics/kit';

function serverSpanAt(otlp: OtlpReceiver, path: string) {
  return otlp.waitFor(() => otlp.spans().find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === path));
}

test('a server span per request: the caller’s trace continued, the stable HTTP attributes, the query redacted, named by its route', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', { env: otlpEnv(otlp) });
  try {
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${metadata.url}/metadata/spanned?lang=en&access_token=s3cr3t`, {
      headers: { traceparent: `00-${traceId}-${parentSpanId}-01`, 'user-agent': 'server-span-test/1.0' },
    });
    assert.equal(response.status, 404);
    await response.arrayBuffer();
    const span = await serverSpanAt(otlp, '/metadata/spanned');
    assert.equal(span.scope, KIT_SCOPE);
    assert.equal(span.name, 'GET /metadata/:id');
    assert.equal(span.traceId, traceId, 'the caller’s trace');
    assert.equal(span.parentSpanId, parentSpanId, 'a child of the caller’s span');
    assert.equal(span.status.code, 'UNSET', 'a 4xx is the caller’s error, not the server’s');
    const { attributes } = span;
    assert.deepEqual(
      {
        method: attributes['http.request.method'],
        route: attributes['http.route'],
        status: attributes['http.response.status_code'],
        scheme: attributes['url.scheme'],
        query: attributes['url.query'],
        address: attributes['server.address'],
        port: attributes['server.port'],
        protocol: attributes['network.protocol.version'],
        agent: attributes['user_agent.original'],
        errorType: attributes['error.type'],
      },
      {
        method: 'GET',
        route: '/metadata/:id',
        status: 404,
        scheme: 'http',
        query: 'lang=en&access_token=REDACTED',
        address: '127.0.0.1',
        port: metadata.port,
        protocol: '1.1',
        agent: 'server-span-test/1.0',
        errorType: undefined,
      },
    );
    // The services listen on every address, so a loopback IPv4 caller shows in its IPv6-mapped form.
    assert.match(String(attributes['network.peer.address']), /^(::ffff:)?127\.0\.0\.1$/);
    assert.equal(attributes['client.address'], attributes['network.peer.address'], 'no proxy is trusted: the client is the peer');
    assert.equal(typeof attributes['network.peer.port'], 'number');
    assert.ok(span.endTimeUnixNano > span.startTimeUnixNano);
    const access = await otlp.waitFor(() => otlp.logs().find((log) => log.body === 'request completed' && log.attributes['url.path'] === '/metadata/spanned'));
    assert.deepEqual([access.traceId, access.spanId], [traceId, span.spanId], 'the access-log line belongs to the server span');

    // Malformed trace headers are ignored, never an error.
    const unknown = await fetch(`${metadata.url}/no/such/route`, { headers: { traceparent: '00-zz-not-a-span-01', tracestate: '=,=', baggage: '%%%;=;,' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
    await unknown.arrayBuffer();
    const unmatched = await serverSpanAt(otlp, '/no/such/route');
    assert.equal(unmatched.name, 'GET', 'no route: the method alone, never the raw path');
    assert.equal(unmatched.attributes['http.route'], undefined);
    assert.equal(unmatched.parentSpanId, undefined, 'no valid traceparent: a new trace');
  } finally {
    await metadata.stop();
    await otlp.close();
  }
});

test('probes and scrapes get no span', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', { env: otlpEnv(otlp) });
  try {
    for (const url of [`${metadata.url}/.well-known/health`, `${metadata.url}/.well-known/alive`, `${metadata.adminUrl}/metrics`]) {
      assert.equal((await fetch(url)).status, 200, url);
    }
    await (await fetch(`${metadata.url}/metadata/after-the-probes`)).arrayBuffer();
    const last = await serverSpanAt(otlp, '/metadata/after-the-probes');
    const spans = otlp.spans().filter((span) => span.traceId !== last.traceId);
    assert.deepEqual(
      spans.map((span) => `${span.name} ${String(span.attributes['url.path'])}`),
      [],
      'the probes and the scrape were the only other requests',
    );
  } finally {
    await metadata.stop();
    await otlp.close();
  }
});

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS=http: no server spans; the access log is still exported', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', { env: otlpEnv(otlp, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }) });
  try {
    await (await fetch(`${metadata.url}/metadata/untraced`)).arrayBuffer();
    await otlp.waitFor(() => otlp.logs().find((log) => log.body === 'request completed' && log.attributes['url.path'] === '/metadata/untraced'));
    await metadata.stop();
    assert.deepEqual(
      otlp.spans().filter((span) => span.kind === 'SERVER'),
      [],
    );
  } finally {
    if (metadata.running) await metadata.stop();
    await otlp.close();
  }
});

test('under the stock auto-instrumentations instead of the kit’s preload: one server span, the HTTP instrumentation’s, named by the kit’s route', async () => {
  const otlp = await startOtlpReceiver();
  const port = await freePort();
  const stockPreload = createRequire(__filename).resolve('@opentelemetry/auto-instrumentations-node/register');
  const metadata = await startProcess({
    name: 'metadata-stock',
    args: ['--require', stockPreload, serviceMain('metadata')],
    env: {
      ...otlpEnv(otlp),
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
      PORT: String(port),
      ADMIN_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    },
    readyUrl: `http://127.0.0.1:${port}/.well-known/health`,
  });
  try {
    await (await fetch(`http://127.0.0.1:${port}/metadata/stock`)).arrayBuffer();
    const span = await serverSpanAt(otlp, '/metadata/stock');
    assert.equal(span.scope, '@opentelemetry/instrumentation-http');
    assert.equal(span.name, 'GET /metadata/:id');
    assert.equal(span.attributes['http.route'], '/metadata/:id');
    await metadata.stop();
    assert.equal(otlp.spans().filter((other) => other.kind === 'SERVER' && other.attributes['url.path'] === '/metadata/stock').length, 1, 'the kit made no second one');
  } finally {
    if (metadata.running) await metadata.stop();
    await otlp.close();
  }
});
