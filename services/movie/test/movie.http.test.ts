import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  freePort,
  httpJson,
  serviceMain,
  startProcess,
  startAuth,
  startService,
  TELEMETRY_PRELOAD,
  type HttpResponse,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';

/**
 * The movie service as deployed: real metadata and rating processes (in-memory stores), and movie
 * pointing at them, each started with the telemetry preload as in production. Outages are real too:
 * a stopped process refuses connections, a SIGSTOPped one accepts them and never answers.
 */

const DOWNSTREAM_TIMEOUT_MS = 500;
/** Movie's budget per request: a hung downstream gets one 500 ms attempt and a retry in what is left. */
const REQUEST_DEADLINE_MS = 800;
/** Scheduling, timers and a busy machine: how much later than the timeout an answer may come. */
const MARGIN_MS = 750;

type Name = 'metadata' | 'rating' | 'movie';
const services: Partial<Record<Name, StartedService>> = {};
const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined };
let auth: StartedAuth;

/** Starts (or restarts, given its former ports) a service in its in-memory mode, trusting the test's auth service. */
async function launch(name: Name, env: Record<string, string> = {}): Promise<StartedService> {
  // Waits for readiness: movie's needs metadata, which is why the downstreams start first.
  const started = await startService(name, { env: { ...env, ...auth.env, ...quiet } });
  services[name] = started;
  return started;
}

function service(name: Name): StartedService {
  const found = services[name];
  if (!found) throw new Error(`${name} was not started`);
  return found;
}

const movieUrl = (suffix: string) => `${service('movie').url}${suffix}`;

async function timed(work: () => Promise<HttpResponse>): Promise<{ response: HttpResponse; ms: number }> {
  const started = performance.now();
  const response = await work();
  return { response, ms: performance.now() - started };
}

/** Freezes a process (it keeps accepting connections in the kernel but answers nothing) for `work`. */
async function whileFrozen<T>(name: Name, work: () => Promise<T>): Promise<T> {
  const proc = service(name);
  proc.signal('SIGSTOP');
  try {
    return await work();
  } finally {
    proc.signal('SIGCONT');
  }
}

async function readiness(): Promise<{ status: number; checks: Record<string, { status: string; critical: boolean }> }> {
  const response = await httpJson('GET', movieUrl('/.well-known/health'));
  const body = response.body as { checks: Record<string, { status: string; critical: boolean }> };
  return { status: response.status, checks: body.checks };
}

const heat = {
  id: 'heat-1995',
  title: 'Heat',
  year: 1995,
  description: 'A group of professional bank robbers…',
  director: 'Michael Mann',
  actors: ['Al Pacino', 'Robert De Niro'],
};
const alien = { id: 'alien-1979', title: 'Alien', year: 1979, description: '', director: 'Ridley Scott', actors: [] };

before(async () => {
  auth = await startAuth({ env: quiet });
  const [metadata, rating, movieClient] = await Promise.all([launch('metadata'), launch('rating'), auth.identities.client('movie', ['service'])]);
  await launch('movie', {
    AUTH_CLIENT_SECRET: movieClient.secret,
    METADATA_URL: metadata.url,
    RATING_URL: rating.url,
    DOWNSTREAM_TIMEOUT_MS: String(DOWNSTREAM_TIMEOUT_MS),
    REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS),
    // These tests are about each outage on its own: no breaker or cache answering for a downstream
    // (tests/resilience covers those).
    DOWNSTREAM_BREAKER_MIN_CALLS: '1000000',
    METADATA_CACHE_MAX_ENTRIES: '0',
  });
  const admin = await auth.identities.adminHeaders();
  for (const movie of [heat, alien]) {
    const put = await httpJson('PUT', `${metadata.url}/metadata/${movie.id}`, movie, admin);
    assert.equal(put.status, 201, JSON.stringify(put.body));
  }
});

after(async () => {
  await Promise.all(
    Object.values(services).map(async (running) => {
      running.signal('SIGCONT');
      await running.stop('SIGTERM', 5_000);
    }),
  );
  await auth?.service.stop();
});

test('unknown movie → 404 problem+json', async () => {
  const response = await httpJson('GET', movieUrl('/movies/no-such-movie'));
  assert.equal(response.status, 404);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.deepEqual(response.body, {
    type: 'about:blank',
    title: 'Not Found',
    status: 404,
    detail: 'No movie with id no-such-movie',
    instance: '/movies/no-such-movie',
  });
});

test('an id metadata would refuse → 400 naming path.id', async () => {
  const response = await httpJson('GET', movieUrl('/movies/-leading-dash'));
  assert.equal(response.status, 400);
  const body = response.body as { errors: { field: string }[] };
  assert.deepEqual(body.errors.map((error) => error.field), ['path.id']);
});

test('a movie nobody rated → metadata with rating null, nothing degraded', async () => {
  const response = await httpJson('GET', movieUrl('/movies/heat-1995'));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body, { metadata: heat, rating: null, degraded: [] });
});

test('after two users rate 5 and 1 the movie shows average 3 from 2 ratings', async () => {
  for (const [user, value] of [['alice', 5], ['bob', 1]] as const) {
    const put = await httpJson('PUT', `${service('rating').url}/ratings/movie/heat-1995`, { value }, (await auth.identities.user(user)).headers);
    assert.equal(put.status, 201, JSON.stringify(put.body));
  }
  const response = await httpJson('GET', movieUrl('/movies/heat-1995'));
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { metadata: heat, rating: { average: 3, count: 2 }, degraded: [] });
});

test('a public x-timeout-ms of 0 cannot make movie skip its dependencies: the budget has a floor', async () => {
  for (const budget of ['0', '1']) {
    const response = await httpJson('GET', movieUrl('/movies/heat-1995'), undefined, { 'x-timeout-ms': budget });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const details = response.body as { metadata: unknown; degraded: string[] };
    assert.deepEqual(details.metadata, heat);
    assert.deepEqual(details.degraded, [], `x-timeout-ms: ${budget}`);
  }
});

test('the incoming x-request-id reaches both downstream services', async () => {
  const requestId = `movie-http-test-${Date.now()}`;
  const response = await httpJson('GET', movieUrl('/movies/heat-1995'), undefined, { 'x-request-id': requestId });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-request-id'), requestId);
  const logged = (name: 'metadata' | 'rating', route: string) =>
    service(name).waitForLine((_line, json) => json?.['request_id'] === requestId && json['http.route'] === route, 2_000);
  await Promise.all([logged('metadata', '/metadata/:id'), logged('rating', '/ratings/:recordType/:recordId')]);
});

test('OpenAPI documents GET /movies/{id} and its response shape', async () => {
  const response = await httpJson('GET', movieUrl('/openapi.json'));
  type Response = { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
  const document = response.body as { paths: Record<string, { get?: { responses: Record<string, Response> } }> };
  const operation = document.paths['/movies/{id}']?.get;
  assert.ok(operation, 'GET /movies/{id} is not documented');
  const schema = operation.responses['200']?.content?.['application/json']?.schema;
  assert.deepEqual(Object.keys(schema?.properties ?? {}).sort(), ['degraded', 'metadata', 'rating']);
  assert.ok(operation.responses['404'], '404 is not documented');
  assert.ok(operation.responses['503'], '503 is not documented');
});

test('readiness is 200 and reports both downstreams up; rating is not critical', async () => {
  const { status, checks } = await readiness();
  assert.equal(status, 200);
  assert.equal(checks['metadata']?.status, 'up');
  assert.equal(checks['metadata']?.critical, true);
  assert.equal(checks['rating']?.status, 'up');
  assert.equal(checks['rating']?.critical, false);
});

test('rating hanging → 200 with degraded ["rating"] within the request deadline; readiness stays 200', async () => {
  await whileFrozen('rating', async () => {
    const { response, ms } = await timed(() => httpJson('GET', movieUrl('/movies/heat-1995')));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { metadata: heat, rating: null, degraded: ['rating'] });
    assert.ok(ms >= DOWNSTREAM_TIMEOUT_MS - 50, `answered in ${ms} ms: rating was not actually waited for`);
    assert.ok(ms < REQUEST_DEADLINE_MS + MARGIN_MS, `answered in ${ms} ms: past the request deadline`);

    const { status, checks } = await readiness();
    assert.equal(status, 200);
    assert.equal(checks['rating']?.status, 'down');
    assert.equal(checks['metadata']?.status, 'up');
  });
  await service('movie').waitForLine(
    (_line, json) => json?.['msg'] === 'rating unavailable; answering without it' && /no answer within/.test(String(json['reason'])),
    1_000,
  );
  // Thawed, the same pool serves full answers again.
  const response = await httpJson('GET', movieUrl('/movies/heat-1995'));
  assert.deepEqual(response.body, { metadata: heat, rating: { average: 3, count: 2 }, degraded: [] });
});

test('metadata hanging → 503 within the request deadline; readiness 503', async () => {
  await whileFrozen('metadata', async () => {
    const { response, ms } = await timed(() => httpJson('GET', movieUrl('/movies/heat-1995')));
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((response.body as { dependency: string }).dependency, 'metadata service');
    assert.ok(ms >= DOWNSTREAM_TIMEOUT_MS - 50, `answered in ${ms} ms: metadata was not actually waited for`);
    assert.ok(ms < REQUEST_DEADLINE_MS + MARGIN_MS, `answered in ${ms} ms: past the request deadline`);

    const { status, checks } = await readiness();
    assert.equal(status, 503);
    assert.equal(checks['metadata']?.status, 'down');
    assert.equal(checks['rating']?.status, 'up');
  });
  const response = await httpJson('GET', movieUrl('/movies/alien-1979'));
  assert.deepEqual(response.body, { metadata: alien, rating: null, degraded: [] });
});

test('rating stopped → 200 with degraded ["rating"] at once; readiness 200; back when rating returns', async () => {
  const rating = service('rating');
  assert.deepEqual(await rating.stop(), { code: 0, signal: null });

  const { response, ms } = await timed(() => httpJson('GET', movieUrl('/movies/heat-1995')));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body, { metadata: heat, rating: null, degraded: ['rating'] });
  assert.ok(ms < DOWNSTREAM_TIMEOUT_MS, `a refused connection took ${ms} ms`);
  const { status, checks } = await readiness();
  assert.equal(status, 200);
  assert.equal(checks['rating']?.status, 'down');

  // A fresh rating process on the same port: its store starts empty, so no ratings and nothing degraded.
  await launch('rating', { PORT: String(rating.port), ADMIN_PORT: String(rating.adminPort) });
  const back = await httpJson('GET', movieUrl('/movies/heat-1995'));
  assert.deepEqual(back.body, { metadata: heat, rating: null, degraded: [] });
  assert.equal((await readiness()).checks['rating']?.status, 'up');
});

test('metadata stopped → 503 problem+json naming the metadata service; readiness 503', async () => {
  assert.deepEqual(await service('metadata').stop(), { code: 0, signal: null });
  const response = await httpJson('GET', movieUrl('/movies/heat-1995'));
  assert.equal(response.status, 503);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.headers.get('retry-after'), '1');
  assert.deepEqual(response.body, {
    type: 'https://cinemetrics.dev/problems/dependency-unavailable',
    title: 'Dependency unavailable',
    status: 503,
    detail: 'The metadata service is unavailable; try again later',
    instance: '/movies/heat-1995',
    dependency: 'metadata service',
  });
  const { status, checks } = await readiness();
  assert.equal(status, 503);
  assert.equal(checks['metadata']?.status, 'down');
  assert.equal(checks['rating']?.status, 'up');
});

test('a bad downstream URL stops start-up with exit code 2, naming the variable', async () => {
  const proc = await startProcess({
    name: 'movie-misconfigured',
    args: ['--require', TELEMETRY_PRELOAD, serviceMain('movie')],
    env: { PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), METADATA_URL: 'ftp://metadata:8081', NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined },
  });
  assert.deepEqual(await proc.exited, { code: 2, signal: null });
  assert.match(proc.lines().join('\n'), /METADATA_URL: must be an http or https URL/);
});
