import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, REPOSITORY_ROOT, startPrometheus, waitUntil, type PrometheusServer } from '@cinemetrics/testing';
import { startMovieStack, type MovieStack } from '../support/stack.js';

let stack: MovieStack;
let prometheus: PrometheusServer;

before(async () => {
  stack = await startMovieStack();
  prometheus = await startPrometheus({
    scrapeConfigs: ['metadata', 'rating', 'movie'].map((service) => ({
      job_name: service,
      static_configs: [{ targets: [new URL(stack[service as 'movie'].adminUrl).host], labels: { service } }],
    })),
  });
  await prometheus.waitForTargetsUp(3, 30_000);
  const json = { 'content-type': 'application/json' };
  const admin = await stack.identities.adminHeaders();
  const alice = (await stack.identities.user('alice')).headers;
  for (let i = 0; i < 5; i += 1) {
    await httpJson('PUT', `${stack.metadata.url}/metadata/m${i}`, { title: `Movie ${i}` }, { ...json, ...admin });
    await httpJson('PUT', `${stack.rating.url}/ratings/movie/m${i}`, { value: 4 }, { ...json, ...alice });
  }
  for (let i = 0; i < 20; i += 1) assert.equal((await httpJson('GET', `${stack.movie.url}/movies/m${i % 5}`)).status, 200);
  await httpJson('GET', `${stack.movie.url}/movies/missing`);
});

after(async () => {
  await prometheus?.dispose();
  await stack?.stop();
});

test('request duration histograms per service and route template, scraped by Prometheus', async () => {
  const expected = [
    'movie /movies/:id 200 20',
    'movie /movies/:id 404 1',
    // Movie caches metadata (docs/resilience.md): 20 requests for 5 movies reach metadata 5 times.
    'metadata /metadata/:id 200 5',
    'metadata /metadata/:id 201 5',
    'metadata /metadata/:id 404 1',
    'rating /ratings/:recordType/:recordId 200 20',
    'rating /ratings/:recordType/:recordId 201 5',
  ];
  let seen: string[] = [];
  await waitUntil(
    async () => {
      const result = await prometheus.query('sum by (service, http_route, http_response_status_code) (http_server_request_duration_seconds_count)');
      seen = result.map((s) => `${s.metric['service']} ${s.metric['http_route']} ${s.metric['http_response_status_code']} ${s.value}`);
      return expected.every((line) => seen.includes(line)) ? true : undefined;
    },
    { timeoutMs: 20_000, what: 'every service and route series', describe: () => seen.join('\n') },
  );
  const le = await prometheus.query('count(http_server_request_duration_seconds_bucket{service="movie", le=~"0.1|0.25"})');
  assert.ok((le[0]?.value ?? 0) >= 2, 'the SLO thresholds are bucket boundaries');
});

test('runtime, database and outbound metrics are there', async () => {
  for (const expr of [
    'process_cpu_seconds_total{service="movie"}',
    'nodejs_eventloop_lag_seconds{service="metadata"}',
    'nodejs_heap_size_used_bytes{service="rating"}',
    'db_client_operation_duration_seconds_count{service="metadata", db_operation_name="SELECT", db_collection_name="movies"}',
    'db_client_connections{service="rating", state="idle"}',
    'db_client_connection_max{service="rating"}',
  ]) {
    const result = await prometheus.query(expr);
    assert.ok(result.length > 0, `${expr} has data`);
  }
});

test('an exemplar on the latency histogram names a trace the collector received', async () => {
  const now = Date.now() / 1000;
  const exemplarTraceIds = await waitUntil(
    async () => {
      const series = await prometheus.queryExemplars('http_server_request_duration_seconds_bucket{service="movie"}', now - 600, now + 60);
      const ids = series.flatMap((s) => s.exemplars.flatMap((e) => (e.labels['trace_id'] ? [e.labels['trace_id']] : [])));
      return ids.length > 0 ? ids : undefined;
    },
    { timeoutMs: 20_000, what: 'exemplars on the movie latency histogram' },
  );
  const match = await stack.otlp.waitFor(() =>
    stack.otlp
      .spans()
      .find((span) => span.kind === 'SERVER' && span.resource['service.name'] === 'movie' && exemplarTraceIds.includes(span.traceId)),
  );
  assert.equal(match.attributes['http.route'], '/movies/:id');
});

/** Every backticked expression in the "example query" column of docs/telemetry.md's tables. */
function documentedExampleQueries(): string[] {
  const doc = readFileSync(path.join(REPOSITORY_ROOT, 'docs', 'telemetry.md'), 'utf8');
  const queries: string[] = [];
  let queryColumn = -1;
  for (const line of doc.split('\n')) {
    if (!line.startsWith('|')) {
      queryColumn = -1;
      continue;
    }
    const cells = line.slice(1, -1).split('|').map((cell) => cell.trim());
    if (queryColumn === -1) queryColumn = cells.indexOf('example query');
    else if (!/^-+$/.test(cells[0] ?? '')) queries.push(...[...(cells[queryColumn] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] as string));
  }
  return queries;
}

test('every example query in docs/telemetry.md runs on Prometheus against the services\' metrics', async () => {
  const queries = documentedExampleQueries();
  assert.ok(queries.length >= 25, `found ${queries.length} example queries`);
  const failures: string[] = [];
  for (const query of queries) {
    await prometheus.query(query).catch((error: unknown) => failures.push(`${query}: ${String(error)}`));
  }
  assert.deepEqual(failures, []);
});
