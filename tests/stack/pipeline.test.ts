/**
 * The telemetry pipeline end to end, through each backend's own API: services → collector → Jaeger,
 * Prometheus (span and service-graph metrics, exemplars) and VictoriaLogs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { httpJson } from '@cinemetrics/testing';
import type { FlatSpan } from './backends.js';
import { eventually, newTraceparent, PATIENT_MOVIE, startFullStack, type FullStack } from './support.js';

let system: FullStack;
const startedAt = new Date();

before(async () => {
  // This file is about where telemetry goes.
  system = await startFullStack({ serviceEnv: PATIENT_MOVIE });
});
after(async () => {
  await system?.stop();
});

let nextId = 7_000_000;

/** A movie with a rating, stored through the APIs; a fresh id each time, so movie's cache misses. */
async function storedMovie(): Promise<string> {
  const id = `tt${String(nextId++).padStart(7, '0')}`;
  const put = await httpJson('PUT', `${system.services.metadata.url}/metadata/${id}`, {
    title: 'Heat',
    year: 1995,
    director: 'Michael Mann',
    actors: ['Al Pacino', 'Robert De Niro'],
  }, await system.identities.adminHeaders());
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const rated = await httpJson('PUT', `${system.services.rating.url}/ratings/movie/${id}`, { value: 5 }, (await system.identities.user('alice')).headers);
  assert.ok(rated.status === 200 || rated.status === 201, JSON.stringify(rated.body));
  return id;
}

/** GET /movies/{id} as a traced caller; resolves with the trace id once Jaeger holds every span the test needs. */
async function tracedMovieRequest(id: string, extraHeaders: Record<string, string> = {}, query = ''): Promise<{ traceId: string; parent: string; spans: FlatSpan[] }> {
  const { traceId, header } = newTraceparent();
  const response = await httpJson('GET', `${system.services.movie.url}/movies/${id}${query}`, undefined, { traceparent: header, ...extraHeaders });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  let spans: FlatSpan[] = [];
  await eventually(`trace ${traceId} complete in Jaeger`, async () => {
    spans = (await system.jaeger.trace(traceId)) ?? [];
    const services = new Set(spans.filter((span) => span.kind === 'SERVER').map((span) => span.service));
    return services.has('movie') && services.has('metadata') && services.has('rating') && spans.some((span) => isDatabaseSpan(span));
  }, () => `${spans.map((s) => `${s.service}:${s.kind}:${s.name}`).join(', ') || 'nothing'}\n${system.backendOutput.slice(-20).join('\n')}`);
  return { traceId, parent: header.split('-')[2] ?? '', spans };
}

function isDatabaseSpan(span: FlatSpan): boolean {
  return span.kind === 'CLIENT' && (span.attributes['db.system'] === 'mysql' || span.attributes['db.system.name'] === 'mysql');
}

function ancestors(span: FlatSpan, byId: Map<string, FlatSpan>): FlatSpan[] {
  const chain: FlatSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}

test('GET /movies/{id} is one trace in Jaeger: movie, metadata and rating server spans, their client spans and the MySQL spans, correctly parented', async () => {
  const { traceId, parent, spans } = await tracedMovieRequest(await storedMovie());
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  assert.ok(spans.every((span) => span.traceId === traceId));

  const server = (service: string): FlatSpan => {
    const found = spans.find((span) => span.service === service && span.kind === 'SERVER');
    assert.ok(found, `a ${service} server span`);
    return found;
  };
  const movie = server('movie');
  assert.equal(movie.parentSpanId, parent, 'movie continues the caller’s trace context');
  assert.equal(movie.attributes['http.route'], '/movies/:id');
  for (const downstream of ['metadata', 'rating']) {
    const span = server(downstream);
    const caller = byId.get(span.parentSpanId);
    assert.ok(caller, `${downstream}'s server span has its parent in the trace`);
    assert.equal(caller.service, 'movie');
    assert.equal(caller.kind, 'CLIENT', `${downstream} is called from a movie client span`);
    assert.ok(ancestors(span, byId).includes(movie), `${downstream} sits below movie's server span`);
    const database = spans.filter((candidate) => isDatabaseSpan(candidate) && candidate.service === downstream);
    assert.ok(database.length > 0, `${downstream} has MySQL spans`);
    for (const query of database) assert.ok(ancestors(query, byId).includes(span), `${downstream}'s MySQL span ${query.name} sits below its server span`);
  }
  for (const span of spans) {
    if (span !== movie) assert.ok(byId.has(span.parentSpanId), `${span.service} ${span.name} has its parent in the trace`);
  }

  // Found by searching, as a user would in Jaeger's search form.
  await eventually(
    'the trace found by service and operation',
    async () => (await system.jaeger.search('movie', startedAt, 'GET /movies/:id')).includes(traceId),
    async () => `search movie: ${(await system.jaeger.search('movie', startedAt)).length} traces`,
  );
});

test('span metrics for every service (movie’s client calls by downstream) and service-graph edges movie→metadata and movie→rating are in Prometheus; Jaeger’s Monitor tab reads them', async () => {
  await tracedMovieRequest(await storedMovie());
  await eventually('server span metrics of movie, metadata and rating', async () => {
    const calls = await system.prometheus.query('sum by (service_name) (traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"})');
    const services = new Set(calls.map((sample) => sample.metric['service_name']));
    return ['movie', 'metadata', 'rating'].every((service) => services.has(service));
  }, async () => JSON.stringify(await system.prometheus.query('count by (service_name) (traces_span_metrics_calls_total)')));

  // The kit's attempt spans carry peer.service: each downstream's latency as movie sees it.
  await eventually('client span metrics of movie, one series per downstream', async () => {
    const calls = await system.prometheus.query('sum by (peer_service) (traces_span_metrics_calls_total{service_name="movie",span_kind="SPAN_KIND_CLIENT"})');
    const peers = new Set(calls.map((sample) => sample.metric['peer_service']));
    return peers.has('metadata') && peers.has('rating');
  }, async () => JSON.stringify(await system.prometheus.query('count by (peer_service, span_kind) (traces_span_metrics_calls_total{service_name="movie"})')));

  const latency = await system.prometheus.query('sum by (service_name, le) (traces_span_metrics_duration_milliseconds_bucket{service_name="movie",span_kind="SPAN_KIND_SERVER"})');
  assert.ok(latency.some((sample) => sample.metric['le'] === '250'), 'the movie SLO threshold (250 ms) is a bucket bound');

  await eventually('service-graph edges movie→metadata and movie→rating', async () => {
    const edges = await system.prometheus.query('sum by (client, server) (traces_service_graph_request_total)');
    const pairs = new Set(edges.map((sample) => `${sample.metric['client']}→${sample.metric['server']}`));
    return pairs.has('movie→metadata') && pairs.has('movie→rating');
  }, async () => JSON.stringify(await system.prometheus.query('traces_service_graph_request_total')));

  await eventually(
    'Jaeger SPM calls for movie',
    async () => (await system.jaeger.spm('calls', 'movie')).some((series) => series.metricPoints.length > 0),
    async () => JSON.stringify(await system.jaeger.spm('calls', 'movie')).slice(0, 500),
  );
  assert.ok((await system.jaeger.spm('latencies', 'movie')).some((series) => series.metricPoints.length > 0), 'latencies for movie');
});

test('a latency exemplar on a service histogram carries a trace id that Jaeger resolves', async () => {
  await tracedMovieRequest(await storedMovie());
  let traceIds: string[] = [];
  await eventually('exemplars with trace ids on movie’s request histogram', async () => {
    const series = await system.prometheus.queryExemplars('http_server_request_duration_seconds_bucket{service="movie"}', startedAt.getTime() / 1000, Date.now() / 1000 + 60);
    traceIds = series.flatMap((entry) => entry.exemplars.map((exemplar) => exemplar.labels['trace_id'] ?? '')).filter((id) => id !== '');
    return traceIds.length > 0;
  });
  let resolved: FlatSpan[] | undefined;
  await eventually('an exemplar trace in Jaeger', async () => {
    for (const id of traceIds) {
      resolved = await system.jaeger.trace(id);
      if (resolved) return true;
    }
    return false;
  }, () => `none of ${traceIds.join(', ')}`);
  assert.ok(resolved?.some((span) => span.service === 'movie' && span.kind === 'SERVER'));
});

test('the logs of that request, from movie, metadata and rating, are found in VictoriaLogs by its trace id', async () => {
  const { traceId } = await tracedMovieRequest(await storedMovie());
  let records: Record<string, string>[] = [];
  await eventually('log records of movie, metadata and rating by trace id', async () => {
    records = await system.logs.query(`trace_id:"${traceId}"`);
    const services = new Set(records.map((record) => record['service.name']));
    return ['movie', 'metadata', 'rating'].every((service) => services.has(service));
  }, () => JSON.stringify(records).slice(0, 800));
  assert.ok(records.every((record) => record['trace_id'] === traceId));
  assert.ok(records.some((record) => record['service.name'] === 'movie' && /request/i.test(record['_msg'] ?? '')), 'movie’s access line');
  // Searchable by service and level too, as docs/stack.md shows.
  const metadataInfo = await system.logs.query(`trace_id:"${traceId}" service.name:metadata severity_text:info`);
  assert.ok(metadataInfo.length > 0 && metadataInfo.every((record) => record['service.name'] === 'metadata' && record['severity_text'] === 'info'));
  assert.deepEqual(await system.logs.query(`trace_id:"${traceId}" severity_text:error`), [], 'a successful request logs no error');
});

test('a request carrying secrets leaves no trace of them in Jaeger, VictoriaLogs or Prometheus', async () => {
  const secret = `s3cr3t${randomBytes(12).toString('hex')}`;
  // A real access token (a bad one would be refused before anything is traced downstream).
  const { token } = await system.identities.user('alice');
  const { traceId } = await tracedMovieRequest(
    await storedMovie(),
    { authorization: `Bearer ${token}`, cookie: `session=${secret}; theme=dark` },
    `?token=${secret}&access_token=${secret}`,
  );
  // Wait until the request's logs arrived, so the search below looks at delivered data.
  await eventually('the request’s log records', async () => (await system.logs.query(`trace_id:"${traceId}"`)).length > 0);
  const secrets = [secret, token, token.split('.')[2] ?? token];
  const assertAbsent = (text: string, where: string) => {
    for (const value of secrets) assert.ok(!text.includes(value), `${where} holds ${value === secret ? 'the secret' : 'the access token'}`);
  };
  assertAbsent(await system.jaeger.traceText(traceId), 'Jaeger');
  const recentLogs = await system.logs.query('_time:15m');
  assert.ok(recentLogs.length > 0);
  assertAbsent(JSON.stringify(recentLogs), 'VictoriaLogs');
  const allSeries = await system.prometheus.series(['{__name__=~".+"}'], startedAt.getTime() / 1000);
  assert.ok(allSeries.length > 0);
  assertAbsent(JSON.stringify(allSeries), 'Prometheus series');
});

/** OTLP/JSON attributes from plain values: strings, and whole numbers as integers. */
function otlpAttributes(values: Record<string, string | number>): object[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } }));
}

async function postOtlp(signal: 'traces' | 'logs', body: object): Promise<void> {
  const response = await fetch(`${system.stack.urls.collectorOtlpHttp}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 200, `the collector took the ${signal}: ${await response.text()}`);
}

test('the collector masks credentials whatever sends them, in span attributes, log attributes and log bodies, and leaves the fields it skips untouched', async () => {
  // Not a service's data: the services keep credentials out of telemetry themselves (the test above).
  // This is the collector's own layer, for any sender that does not.
  const { traceId } = newTraceparent();
  const spanId = randomBytes(8).toString('hex');
  const jwt = `eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.${randomBytes(16).toString('base64url')}`;
  const secret = `s3cr3t${randomBytes(12).toString('hex')}`;
  const basic = Buffer.from(`alice:${secret}`).toString('base64');
  const now = BigInt(Date.now()) * 1_000_000n;
  const resource = { attributes: otlpAttributes({ 'service.name': 'redaction-probe' }) };
  await postOtlp('traces', {
    resourceSpans: [{
      resource,
      scopeSpans: [{
        scope: { name: 'redaction-probe' },
        spans: [{
          traceId,
          spanId,
          name: 'GET /callback/:token',
          kind: 2,
          startTimeUnixNano: String(now - 5_000_000n),
          endTimeUnixNano: String(now),
          attributes: otlpAttributes({
            'http.request.header.authorization': `Bearer ${secret}`,
            accessToken: secret,
            'db.Password': secret,
            'url.path': `/callback/${jwt}`,
            note: `Basic ${basic}`,
            'http.route': '/callback/:token',
            'http.request.method': 'GET',
            'http.response.status_code': 200,
          }),
        }],
      }],
    }],
  });
  await postOtlp('logs', {
    resourceLogs: [{
      resource,
      scopeLogs: [{
        scope: { name: 'redaction-probe' },
        logRecords: [{
          timeUnixNano: String(now),
          severityNumber: 9,
          severityText: 'info',
          traceId,
          spanId,
          body: { stringValue: `signed in with Bearer ${secret}` },
          attributes: otlpAttributes({ password: secret, request_id: jwt, 'http.route': '/callback/:token', duration_ms: 5 }),
        }],
      }],
    }],
  });

  let spans: FlatSpan[] = [];
  await eventually(`the probe span in Jaeger`, async () => (spans = (await system.jaeger.trace(traceId)) ?? []).length > 0);
  const attributes = spans[0]?.attributes ?? {};
  // Jaeger's API gives integers as strings (OTLP/JSON's int64).
  assert.deepEqual(
    {
      authorization: attributes['http.request.header.authorization'],
      accessToken: attributes['accessToken'],
      password: attributes['db.Password'],
      path: attributes['url.path'],
      note: attributes['note'],
      route: attributes['http.route'],
      method: attributes['http.request.method'],
      status: attributes['http.response.status_code'],
    },
    { authorization: '****', accessToken: '****', password: '****', path: '/callback/****', note: '****', route: '/callback/:token', method: 'GET', status: '200' },
  );

  let records: Record<string, string>[] = [];
  await eventually('the probe log record in VictoriaLogs', async () => (records = await system.logs.query(`trace_id:"${traceId}"`)).length > 0);
  const record = records[0] ?? {};
  assert.deepEqual(
    { body: record['_msg'], password: record['password'], requestId: record['request_id'], route: record['http.route'], duration: record['duration_ms'] },
    { body: 'signed in with ****', password: '****', requestId: '****', route: '/callback/:token', duration: '5' },
  );
  const delivered = (await system.jaeger.traceText(traceId)) + JSON.stringify(records);
  for (const value of [secret, jwt, basic]) assert.ok(!delivered.includes(value), `a credential reached a backend: ${value.slice(0, 12)}…`);
});

test('synthetic traffic (baggage synthetic=true) is marked on every span it causes and in the span metrics; user traffic is not', async () => {
  const synthetic = await tracedMovieRequest(await storedMovie(), { baggage: 'synthetic=true' });
  const servers = synthetic.spans.filter((span) => span.kind === 'SERVER');
  assert.deepEqual(servers.map((span) => [span.service, span.attributes['cinemetrics.synthetic']]).sort(), [
    ['metadata', true],
    ['movie', true],
    ['rating', true],
  ]);
  const user = await tracedMovieRequest(await storedMovie());
  assert.ok(user.spans.every((span) => span.attributes['cinemetrics.synthetic'] === undefined));
  await eventually('span metrics split by cinemetrics_synthetic', async () => {
    const series = await system.prometheus.query('sum by (cinemetrics_synthetic) (traces_span_metrics_calls_total{service_name="metadata",span_kind="SPAN_KIND_SERVER"})');
    const values = new Set(series.map((sample) => sample.metric['cinemetrics_synthetic']));
    return values.has('true') && values.has('false');
  });
});
