import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, scrapeSamples, startAuth, startMariaDb, startService, sumOf, waitUntil, type HttpResponse, type MariaDb, type StartedAuth, type StartedService } from '@cinemetrics/testing';

/**
 * A real metadata process on a real MariaDB, allowed 4 requests in flight. Requests are held in
 * flight by the database itself: a long read keeps a shared metadata lock on `movies`, an
 * `ALTER TABLE` queues for the exclusive lock behind it, and every later read of `movies` queues
 * behind the ALTER ("Waiting for table metadata lock") until the ALTER is killed.
 */
const MAX_IN_FLIGHT = 4;
const HEAT = { title: 'Heat', year: 1995, description: 'A crime saga', director: 'Michael Mann', actors: ['Al Pacino', 'Robert De Niro'] };

let mariadb: MariaDb;
let auth: StartedAuth;
let service: StartedService;
let admin: Record<string, string>;

before(async () => {
  mariadb = await startMariaDb();
  auth = await startAuth({ env: { MYSQL_URL: undefined } });
  service = await startService('metadata', { env: { MYSQL_URL: mariadb.url, MAX_IN_FLIGHT: String(MAX_IN_FLIGHT), LOG_FORMAT: 'json', ...auth.env } });
  admin = await auth.identities.adminHeaders();
  assert.equal((await httpJson('PUT', `${service.url}/metadata/heat`, HEAT, admin)).status, 201);
});

after(async () => {
  await Promise.all([service?.stop(), auth?.service.stop()]);
  await mariadb?.dispose();
});

interface ProcessRow {
  id: number;
  state: string | null;
  info: string | null;
}

const processes = async () => (await mariadb.query('SELECT id, state, info FROM information_schema.processlist WHERE info IS NOT NULL')) as ProcessRow[];

/** Waits until `count` statements whose text starts with `prefix` are in `state`; returns their ids. */
async function statements(prefix: string, state: string, count: number): Promise<number[]> {
  let seen: ProcessRow[] = [];
  return waitUntil(
    async () => {
      seen = await processes();
      const matching = seen.filter((row) => row.info?.startsWith(prefix) && row.state === state);
      return matching.length === count ? matching.map((row) => row.id) : undefined;
    },
    { timeoutMs: 5_000, what: `${count} × "${prefix}…" in state "${state}"`, describe: () => JSON.stringify(seen) },
  );
}

/** Blocks every read of metadata.movies until the returned function is called. */
async function blockReads(): Promise<() => Promise<void>> {
  const holder = mariadb.query('SELECT SLEEP(60) FROM metadata.movies LIMIT 1').catch(() => undefined);
  const [holderId] = await statements('SELECT SLEEP(60)', 'User sleep', 1);
  const alter = mariadb.query("ALTER TABLE metadata.movies COMMENT = 'held by the load-shedding test'").catch(() => undefined);
  const [alterId] = await statements('ALTER TABLE metadata.movies', 'Waiting for table metadata lock', 1);
  return async () => {
    // Killing the waiting ALTER lets the queued reads through (the holder's lock is shared);
    // then the holder goes too. The table is left unchanged.
    await mariadb.query(`KILL QUERY ${Number(alterId)}`);
    await alter;
    await mariadb.query(`KILL QUERY ${Number(holderId)}`);
    await holder;
  };
}

test('more than MAX_IN_FLIGHT requests: the excess is shed with 503 before any database work, health stays up, the admitted ones all succeed', async () => {
  const release = await blockReads();
  let held: Array<Promise<HttpResponse>> = [];
  try {
    const before = await scrapeSamples(service.adminUrl);
    held = Array.from({ length: MAX_IN_FLIGHT }, () => httpJson('GET', `${service.url}/metadata/heat`));
    // All four are inside the handler, each waiting on the database.
    await statements('SELECT id, title', 'Waiting for table metadata lock', MAX_IN_FLIGHT);

    const shed = await Promise.all([
      ...Array.from({ length: 10 }, () => httpJson('GET', `${service.url}/metadata/heat`)),
      ...Array.from({ length: 5 }, () => httpJson('GET', `${service.url}/metadata?limit=5`)),
      ...Array.from({ length: 5 }, (_, i) => httpJson('PUT', `${service.url}/metadata/new-${i}`, HEAT, admin)),
    ]);
    for (const response of shed) {
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.equal(response.headers.get('retry-after'), '1');
      const problem = response.body as Record<string, unknown>;
      assert.equal(problem['type'], 'https://cinemetrics.dev/problems/overloaded');
      assert.equal(problem['status'], 503);
    }
    // Shed before the handler: not one more statement reached the database.
    const waiting = (await processes()).filter((row) => row.info?.startsWith('SELECT id, title') || row.info?.startsWith('INSERT'));
    assert.equal(waiting.length, MAX_IN_FLIGHT, JSON.stringify(waiting));

    // Probes are never shed: liveness, and readiness (its database ping does not touch movies).
    const health = await httpJson('GET', `${service.url}/.well-known/health`);
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal((await httpJson('GET', `${service.url}/.well-known/alive`)).status, 200);
    assert.equal((await httpJson('GET', `${service.url}/openapi.json`)).status, 200);

    const after = await scrapeSamples(service.adminUrl);
    const delta = (name: string, labels: Record<string, string>) => sumOf(after, name, labels) - sumOf(before, name, labels);
    assert.equal(delta('http_server_rejected_requests_total', { reason: 'overload' }), shed.length);
    assert.equal(delta('http_server_rejected_requests_total', { reason: 'rate_limit' }), 0);
    assert.equal(delta('http_server_request_duration_seconds_count', { http_response_status_code: '503' }), shed.length, 'every 503 is measured');
    assert.equal(delta('http_server_request_duration_seconds_count', { http_route: '/metadata/:id', http_request_method: 'PUT', http_response_status_code: '503' }), 5);
    assert.equal(sumOf(after, 'http_server_active_requests', { http_request_method: 'GET' }), MAX_IN_FLIGHT);
  } finally {
    await release();
  }

  for (const response of await Promise.all(held)) {
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { id: 'heat', ...HEAT });
  }
  // The slots are free again: a full set of concurrent requests is admitted.
  const afterwards = await Promise.all(Array.from({ length: MAX_IN_FLIGHT }, () => httpJson('GET', `${service.url}/metadata/heat`)));
  assert.deepEqual(new Set(afterwards.map((response) => response.status)), new Set([200]));
  // Each shed request has its access-log line, on the route it asked for. The log is written in
  // batches; a graceful stop flushes it.
  assert.deepEqual(await service.stop(), { code: 0, signal: null });
  const shedLines = service
    .jsonLines()
    .filter((line) => line['msg'] === 'request completed' && line['http.status_code'] === 503 && !String(line['http.route']).startsWith('/.well-known/'));
  assert.equal(shedLines.length, 20);
  assert.deepEqual(new Set(shedLines.map((line) => line['http.route'])), new Set(['/metadata/:id', '/metadata']));
  assert.ok(shedLines.every((line) => line['level'] === 'error'), '5xx access-log lines are errors');
});
