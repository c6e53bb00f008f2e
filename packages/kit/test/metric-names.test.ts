import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  freePort,
  startAuth,
  startMariaDb,
  startService,
  stackBinary,
  type MariaDb,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';

/** prom-client's default process and runtime metrics: upstream's names, not ours. */
async function upstreamMetricNames(): Promise<Set<string>> {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  return new Set((await defaults.getMetricsAsJSON()).map((metric) => metric.name));
}

let mariadb: MariaDb;
let auth: StartedAuth;
let metadata: StartedService;
let movie: StartedService;

before(async () => {
  mariadb = await startMariaDb();
  auth = await startAuth({ env: { MYSQL_URL: mariadb.url, OTEL_SDK_DISABLED: 'true' } });
  const env = { OTEL_SDK_DISABLED: 'true', ...auth.env };
  // Kept as soon as it runs, so `after` stops it even when the client could not be made.
  const [, movieClient] = await Promise.all([
    startService('metadata', { env: { ...env, MYSQL_URL: mariadb.url } }).then((started) => (metadata = started)),
    auth.identities.client('movie', ['service']),
  ]);
  // Rating is a closed loopback port: the movie service's client metrics then carry failures too.
  movie = await startService('movie', {
    env: { ...env, METADATA_URL: metadata.url, RATING_URL: `http://127.0.0.1:${await freePort()}`, AUTH_CLIENT_SECRET: movieClient.secret },
    waitReady: false,
  });
});

after(async () => {
  await movie?.stop();
  await metadata?.stop();
  await auth?.service.stop();
  await mariadb?.dispose();
});

function promtoolCheckMetrics(promtool: string, exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

test("promtool check metrics finds nothing to say about our own metrics on any service's /metrics", async () => {
  const promtool = await stackBinary('prometheus', 'promtool');
  const upstream = await upstreamMetricNames();
  // Traffic first, so the database, client, cache and breaker series have samples.
  await fetch(`${movie.url}/movies/tt0000001`);
  await fetch(`${auth.service.url}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"nobody","password":"not-a-password"}' });
  const expositions = new Map<StartedService, string>();
  for (const service of [auth.service, metadata, movie]) {
    const exposition = await (await fetch(`${service.adminUrl}/metrics`)).text();
    expositions.set(service, exposition);
    assert.match(exposition, /^db_client_connections\{state="used"\} /m, `${service.service}: the pool gauges are exported`);
    const { output } = await promtoolCheckMetrics(promtool, exposition);
    const findings = output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !upstream.has(line.split(' ')[0] ?? ''));
    assert.deepEqual(findings, [], `${service.service}: promtool check metrics\n${output}`);
  }
  assert.match(expositions.get(metadata) ?? '', /^db_client_operation_duration_seconds_count\{/m, 'database operations were observed');
  assert.match(expositions.get(movie) ?? '', /^http_client_request_duration_seconds_count\{/m, 'client calls were observed');
  assert.match(expositions.get(movie) ?? '', /^cache_requests_total\{/m);
});
