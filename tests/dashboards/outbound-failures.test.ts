/**
 * The client metric's empty labels as Prometheus stores them: `http_response_status_code=""` (no answer)
 * and `error_type=""` (success) arrive as absent labels. The dashboard's outbound error ratio must count a
 * downstream's 4xx as an answer and a refused connection as a failure.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  freePort,
  httpJson,
  startAuth,
  startPrometheus,
  startService,
  waitUntil,
  type PrometheusServer,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';
import { committedDashboards } from './support.js';

let auth: StartedAuth;
let metadata: StartedService;
let movie: StartedService;
let prometheus: PrometheusServer;

before(async () => {
  const env = { OTEL_SDK_DISABLED: 'true' };
  auth = await startAuth({ env });
  // Kept as soon as it runs, so `after` stops it even when the client could not be made.
  const [, movieClient] = await Promise.all([
    startService('metadata', { env: { ...env, ...auth.env } }).then((started) => (metadata = started)),
    auth.identities.client('movie', ['service']),
  ]);
  // Rating is a closed loopback port: every attempt to reach it gets no answer. The breaker stays
  // closed, so every call is an attempt the metric observes.
  movie = await startService('movie', {
    env: { ...env, ...auth.env, DOWNSTREAM_BREAKER_MIN_CALLS: '1000000', METADATA_URL: metadata.url, RATING_URL: `http://127.0.0.1:${await freePort()}`, AUTH_CLIENT_SECRET: movieClient.secret },
    waitReady: false,
  });
  prometheus = await startPrometheus({
    scrapeConfigs: [{ job_name: 'movie', static_configs: [{ targets: [new URL(movie.adminUrl).host], labels: { service: 'movie' } }] }],
  });
  await prometheus.waitForTargetsUp(1, 30_000);
});

after(async () => {
  await prometheus?.dispose();
  await movie?.stop();
  await metadata?.stop();
  await auth?.service.stop();
});

function outboundErrorRatioQuery(): string {
  const dependencies = committedDashboards().get('dependencies.json');
  const panel = dependencies?.panels.find((candidate) => candidate.title === 'Outbound error ratio per downstream');
  const expr = panel?.targets?.[0]?.expr;
  assert.ok(expr, 'dependencies.json has the outbound error ratio panel');
  const values: Record<string, string> = { service: 'movie', instance: '.*', __rate_interval: '1m' };
  return expr.replace(/\$(\w+)/g, (whole, name: string) => values[name] ?? whole);
}

test("the outbound error ratio counts a downstream's 404 as an answer and no answer as a failure", async () => {
  // Unknown ids: metadata answers 404. A stored one: metadata answers 200, rating cannot be reached.
  const admin = await auth.identities.adminHeaders();
  const stored = await httpJson('PUT', `${metadata.url}/metadata/tt0000001`, { title: 'Heat' }, { 'content-type': 'application/json', ...admin });
  assert.equal(stored.status, 201);
  const query = outboundErrorRatioQuery();
  // rate() needs the counters to grow between scrapes: a round of traffic before every look, bounded by the wait.
  const ratios = await waitUntil(
    async () => {
      assert.equal((await httpJson('GET', `${movie.url}/movies/tt9999999`)).status, 404);
      assert.equal((await httpJson('GET', `${movie.url}/movies/tt0000001`)).status, 200);
      const samples = await prometheus.query(query);
      const byPeer = Object.fromEntries(samples.map((sample) => [sample.metric['peer_service'] ?? '', sample.value] as const));
      return Number.isFinite(byPeer['metadata']) && Number.isFinite(byPeer['rating']) ? byPeer : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'the outbound error ratio of both downstreams', describe: async () => JSON.stringify(await prometheus.query(query)) },
  );
  assert.deepEqual(ratios, { metadata: 0, rating: 1 });
});
