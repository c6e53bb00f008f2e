import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import {
  freePort,
  httpJson,
  scrapeSamples,
  serviceMain,
  startProcess,
  startAuth,
  startService,
  sumOf,
  type HttpResponse,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';

/**
 * A real metadata process on its in-memory store, limited to 20 requests per second in bursts of
 * 10, hit by bursts far above that.
 */
const RATE = 20;
const BURST = 10;
const HEAT = { title: 'Heat', year: 1995, description: 'A crime saga', director: 'Michael Mann', actors: ['Al Pacino', 'Robert De Niro'] };

let auth: StartedAuth;
let service: StartedService;

before(async () => {
  auth = await startAuth({ env: { MYSQL_URL: undefined } });
  service = await startService('metadata', {
    env: { MYSQL_URL: undefined, RATE_LIMIT_RPS: String(RATE), RATE_LIMIT_BURST: String(BURST), LOG_FORMAT: 'json', ...auth.env },
  });
  assert.equal((await httpJson('PUT', `${service.url}/metadata/heat`, HEAT, await auth.identities.adminHeaders())).status, 201);
});

after(async () => {
  await Promise.all([service?.stop(), auth?.service.stop()]);
});

/** Long enough for an emptied bucket to be full again. */
const refill = () => delay(Math.ceil((BURST / RATE) * 1000) + 200);

/** The path of every 429 the tests received, to match against the access log at the end. */
const answered429: string[] = [];

test('a burst of 100 concurrent requests: the bucket is served as usual, the excess gets 429 problem+json with Retry-After; health is never limited', async (t) => {
  await refill();
  const metricsBefore = await scrapeSamples(service.adminUrl);

  const started = performance.now();
  const burst: Array<Promise<HttpResponse & { path: string }>> = [];
  for (let i = 0; i < 100; i++) {
    const path = i % 2 === 0 ? '/metadata/heat' : `/metadata/missing-${i}`;
    burst.push(httpJson('GET', `${service.url}${path}`).then((response) => ({ ...response, path })));
  }
  const probes = Array.from({ length: 20 }, (_, i) => httpJson('GET', `${service.url}${i % 2 ? '/.well-known/health' : '/.well-known/alive'}`));
  const responses = await Promise.all(burst);
  const elapsedSeconds = (performance.now() - started) / 1000;

  for (const probe of await Promise.all(probes)) assert.equal(probe.status, 200, 'health and liveness are never limited');

  const limited = responses.filter((response) => response.status === 429);
  const accepted = responses.filter((response) => response.status !== 429);
  t.diagnostic(`${accepted.length} accepted, ${limited.length} limited, burst answered in ${elapsedSeconds.toFixed(3)} s`);
  // The bucket's burst, plus what it refilled while the burst was being answered.
  const mostAccepted = BURST + Math.ceil(RATE * elapsedSeconds) + 1;
  assert.ok(
    accepted.length >= BURST && accepted.length <= mostAccepted,
    `${accepted.length} accepted in ${elapsedSeconds.toFixed(3)} s; expected ${BURST}..${mostAccepted}`,
  );
  assert.ok(limited.length >= 100 - mostAccepted, `${limited.length} got 429`);

  for (const response of accepted) {
    if (response.path === '/metadata/heat') {
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { id: 'heat', ...HEAT });
    } else {
      assert.equal(response.status, 404, `${response.path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
  }
  for (const response of limited) {
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${response.headers.get('retry-after')}`);
    // At 20 tokens per second the next token is never more than a second away.
    assert.equal(retryAfter, 1);
    assert.match(response.headers.get('ratelimit') ?? '', /^"inbound";r=0;t=\d+$/);
    assert.equal(response.headers.get('ratelimit-policy'), '"inbound";q=10;w=1');
    const problem = response.body as Record<string, unknown>;
    assert.equal(problem['status'], 429);
    assert.equal(problem['type'], 'https://cinemetrics.dev/problems/rate-limited');
    assert.equal(problem['instance'], response.path);
  }

  // Every 429 is counted as a rejection and measured as a request, under its route template.
  const metricsAfter = await scrapeSamples(service.adminUrl);
  const delta = (name: string, labels: Record<string, string>) => sumOf(metricsAfter, name, labels) - sumOf(metricsBefore, name, labels);
  assert.equal(delta('http_server_rejected_requests_total', { reason: 'rate_limit' }), limited.length);
  assert.equal(delta('http_server_rejected_requests_total', { reason: 'overload' }), 0);
  assert.equal(
    delta('http_server_request_duration_seconds_count', { http_route: '/metadata/:id', http_response_status_code: '429' }),
    limited.length,
  );
  assert.equal(
    delta('http_server_request_duration_seconds_count', { http_route: '/metadata/:id', http_response_status_code: '200' }) +
      delta('http_server_request_duration_seconds_count', { http_route: '/metadata/:id', http_response_status_code: '404' }),
    accepted.length,
  );
  answered429.push(...limited.map((response) => response.path));
});

test('a client that waits for Retry-After is served again', async () => {
  await refill();
  const responses = await Promise.all(Array.from({ length: BURST * 3 }, () => httpJson('GET', `${service.url}/metadata/heat`)));
  answered429.push(...responses.filter((response) => response.status === 429).map(() => '/metadata/heat'));
  const limited = responses.find((response) => response.status === 429);
  assert.ok(limited, 'the burst was limited');
  await delay(Number(limited.headers.get('retry-after')) * 1000);
  const retried = await httpJson('GET', `${service.url}/metadata/heat`);
  assert.equal(retried.status, 200);
  assert.match(retried.headers.get('ratelimit') ?? '', /^"inbound";r=\d+;t=\d+$/);
});

test('the metrics endpoint and the OpenAPI document are not limited while the bucket is empty', async () => {
  await refill();
  const [limitedRoute, exempt] = await Promise.all([
    Promise.all(Array.from({ length: BURST * 4 }, () => httpJson('GET', `${service.url}/metadata/heat`).then((response) => response.status))),
    Promise.all([
      ...Array.from({ length: 20 }, () => fetch(`${service.adminUrl}/metrics`).then((response) => response.status)),
      ...Array.from({ length: 20 }, () => httpJson('GET', `${service.url}/openapi.json`).then((response) => response.status)),
    ]),
  ]);
  answered429.push(...limitedRoute.filter((status) => status === 429).map(() => '/metadata/heat'));
  assert.ok(limitedRoute.includes(429), 'the bucket ran dry meanwhile');
  assert.deepEqual(new Set(exempt), new Set([200]));
});

test('contradictory protection settings stop start-up with exit code 2, naming the variable', async () => {
  const cases = [
    { env: { RATE_LIMIT_BURST: '10' }, message: /RATE_LIMIT_BURST: is set but RATE_LIMIT_RPS is not/ },
    { env: { HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' }, message: /HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/ },
    { env: { MAX_IN_FLIGHT: '-1' }, message: /MAX_IN_FLIGHT: / },
  ];
  await Promise.all(
    cases.map(async ({ env, message }) => {
      const proc = await startProcess({
        name: 'metadata-misconfigured',
        // No telemetry preload: the configuration is checked before it would matter, and it is slow to load.
        args: [serviceMain('metadata')],
        env: { PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ...env },
      });
      assert.deepEqual(await proc.exited, { code: 2, signal: null }, JSON.stringify(env));
      assert.match(proc.lines().join('\n'), message);
    }),
  );
});

test('every 429 has its access-log line, with the route template (after a graceful stop flushes the log)', async () => {
  assert.ok(answered429.length > 0);
  assert.deepEqual(await service.stop(), { code: 0, signal: null });
  const lines = service.jsonLines().filter((line) => line['msg'] === 'request completed' && line['http.status_code'] === 429);
  assert.equal(lines.length, answered429.length);
  assert.deepEqual(new Set(lines.map((line) => line['http.route'])), new Set(['/metadata/:id']));
  assert.deepEqual(new Set(lines.map((line) => line['level'])), new Set(['info']), '429s are not errors in the log');
  const paths = lines.map((line) => String(line['url.path'])).sort();
  assert.deepEqual(paths, [...answered429].sort());
});
