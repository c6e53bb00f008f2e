import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, startAuth, startMariaDb, startService, type MariaDb, type StartedAuth, type StartedService } from '@cinemetrics/testing';
import { metadataRoutes } from '../src/http/routes.js';
import { MetadataController } from '../src/controller.js';
import { MemoryMetadataRepository } from '../src/repository/memory.js';

let mariadb: MariaDb;
let auth: StartedAuth;
let service: StartedService;
/** An administrator's bearer token: writes need role admin. */
let admin: Record<string, string>;

before(async () => {
  // Each kept as soon as it runs, so `after` stops it even when the other failed to start.
  await Promise.all([startMariaDb().then((started) => (mariadb = started)), startAuth({ env: { MYSQL_URL: undefined } }).then((started) => (auth = started))]);
  service = await startService('metadata', { env: { MYSQL_URL: mariadb.url, ...auth.env } });
  admin = await auth.identities.adminHeaders();
});

after(async () => {
  await service?.stop();
  await auth?.service.stop();
  await mariadb?.dispose();
});

const put = (id: string, body: unknown, headers?: Record<string, string>) =>
  httpJson('PUT', `${service.url}/metadata/${id}`, body, { ...admin, ...headers });

type Problem = { status: number; errors?: Array<{ field: string; rule: string }>; detail?: string };

function assertProblem(response: { status: number; headers: Headers; body: unknown }, status: number, field?: string, rule?: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const problem = response.body as Problem;
  assert.equal(problem.status, status);
  assert.doesNotMatch(JSON.stringify(problem), /\n\s+at /, 'no stack trace');
  if (field) {
    assert.ok(
      problem.errors?.some((error) => error.field === field && (rule === undefined || error.rule === rule)),
      `expected ${field} (${rule}) in ${JSON.stringify(problem.errors)}`,
    );
  }
}

test('writes need an admin: no token 401, a user without the role 403, and nothing is stored', async () => {
  const anonymous = await httpJson('PUT', `${service.url}/metadata/guarded`, { title: 'x' });
  assertProblem(anonymous, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="cinemetrics"');
  const user = await httpJson('PUT', `${service.url}/metadata/guarded`, { title: 'x' }, (await auth.identities.user('viewer')).headers);
  assertProblem(user, 403);
  assert.match(user.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  assertProblem(await httpJson('GET', `${service.url}/metadata/guarded`), 404);
});

test('put creates (201) then replaces (200); get returns what was stored', async () => {
  const movie = { title: 'Heat', year: 1995, description: 'A crime saga', director: 'Michael Mann', actors: ['Al Pacino', 'Robert De Niro'] };
  const created = await put('tt0113277', movie);
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('location'), '/metadata/tt0113277');
  const replaced = await put('tt0113277', { ...movie, title: 'Heat (1995)' });
  assert.equal(replaced.status, 200);
  const again = await put('tt0113277', { ...movie, title: 'Heat (1995)' });
  assert.equal(again.status, 200, 'an identical put is still a replace');
  const fetched = await httpJson('GET', `${service.url}/metadata/tt0113277`);
  assert.equal(fetched.status, 200);
  assert.deepEqual(fetched.body, { id: 'tt0113277', ...movie, title: 'Heat (1995)' });
});

test('keyset pagination walks every record once, in id order', async () => {
  const ids = Array.from({ length: 45 }, (_, i) => `page-${String(i).padStart(3, '0')}`);
  for (const id of ids) assert.equal((await put(id, { title: `Movie ${id}` })).status, 201);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : '';
    const page = await httpJson('GET', `${service.url}/metadata?limit=10${query}`);
    assert.equal(page.status, 200);
    const body = page.body as { items: Array<{ id: string }>; nextCursor: string | null };
    assert.ok(body.items.length <= 10);
    seen.push(...body.items.map((item) => item.id));
    cursor = body.nextCursor;
    pages += 1;
  } while (cursor && pages < 20);
  const expected = [...ids, 'tt0113277'].sort();
  assert.deepEqual(seen, expected);
  assert.equal(pages, 5);
});

test('every route rejects bad input with a problem naming the field and rule', async () => {
  assertProblem(await httpJson('GET', `${service.url}/metadata/${'x'.repeat(65)}`), 400, 'path.id', 'invalid_format');
  assertProblem(await httpJson('GET', `${service.url}/metadata?limit=0`), 400, 'query.limit', 'too_small');
  assertProblem(await httpJson('GET', `${service.url}/metadata?limit=101`), 400, 'query.limit', 'too_big');
  assertProblem(await httpJson('GET', `${service.url}/metadata?limit=ten`), 400, 'query.limit', 'invalid_format');
  assertProblem(await httpJson('GET', `${service.url}/metadata?cursor=not-a-cursor!`), 400, 'query.cursor', 'invalid_cursor');
  assertProblem(await put('ok-id', {}), 400, 'body.title', 'required');
  assertProblem(await put('ok-id', { title: 'x', year: 1500 }), 400, 'body.year', 'too_small');
  assertProblem(await put('ok-id', { title: 'x', year: '1999' }), 400, 'body.year', 'invalid_type');
  assertProblem(await put('ok-id', { title: 'x', actors: 'Al Pacino' }), 400, 'body.actors', 'invalid_type');
  assertProblem(await put('ok-id', { title: 'x', rating: 5 }), 400, 'body.rating', 'unrecognized_key');
  assertProblem(await put('ok-id', { title: 'x', id: 'other' }), 400, 'body.id', 'matches_path');
  assertProblem(await put('bad%20id', { title: 'x' }), 400, 'path.id', 'invalid_format');
  const stored = await httpJson('GET', `${service.url}/metadata/ok-id`);
  assert.equal(stored.status, 404, 'nothing was stored by the rejected puts');
});

test('malformed, oversized and non-JSON bodies; unknown routes; wrong methods', async () => {
  const malformed = await fetch(`${service.url}/metadata/x1`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: '{"title":' });
  assertProblem({ status: malformed.status, headers: malformed.headers, body: await malformed.json() }, 400);
  assertProblem(await put('x1', { title: 'x', description: 'd'.repeat(70 * 1024) }), 413);
  const text = await fetch(`${service.url}/metadata/x1`, { method: 'PUT', headers: { ...admin, 'content-type': 'text/plain' }, body: 'title' });
  assertProblem({ status: text.status, headers: text.headers, body: await text.json() }, 415);
  assertProblem(await httpJson('GET', `${service.url}/movies/x1`), 404);
  const wrong = await httpJson('DELETE', `${service.url}/metadata/x1`);
  assertProblem(wrong, 405);
  assert.equal(wrong.headers.get('allow'), 'HEAD, GET, PUT');
  assertProblem(await httpJson('GET', `${service.url}/metadata/missing`), 404);
});

test('query numbers are decimal integers only: hex, exponents and blanks are refused', async () => {
  for (const limit of ['0x10', '1e30', '1e1', '', '%2010']) {
    assertProblem(await httpJson('GET', `${service.url}/metadata?limit=${limit}`), 400, 'query.limit', 'invalid_format');
  }
  const document = (await httpJson('GET', `${service.url}/openapi.json`)).body as {
    paths: Record<string, Record<string, { parameters: Array<{ name: string; schema: unknown }> }>>;
  };
  const limit = document.paths['/metadata']?.['get']?.parameters.find((parameter) => parameter.name === 'limit');
  assert.deepEqual(limit?.schema, { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Page size, 1-100' });
});

test('a lone UTF-16 surrogate is refused naming the field, and MySQL never replaces it with U+FFFD', async () => {
  const body = '{"title":"Heat \\ud800","actors":["ok","\\udfff"]}';
  const response = await fetch(`${service.url}/metadata/lone-surrogate`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body });
  const problem = { status: response.status, headers: response.headers, body: await response.json() };
  assertProblem(problem, 400, 'body.title', 'lone_surrogate');
  assertProblem(problem, 400, 'body.actors[1]', 'lone_surrogate');
  assert.equal((await httpJson('GET', `${service.url}/metadata/lone-surrogate`)).status, 404, 'nothing was stored');
  const pair = await put('surrogate-pair', { title: 'Heat \ud83c\udfac' });
  assert.equal(pair.status, 201);
  assert.equal(((await httpJson('GET', `${service.url}/metadata/surrogate-pair`)).body as { title: string }).title, 'Heat \ud83c\udfac');
});

test('routing is strict and case-sensitive, as the OpenAPI document says', async () => {
  assert.equal((await put('strict-1', { title: 'x' })).status, 201);
  for (const path of ['/metadata/', '/METADATA/strict-1', '/Metadata?limit=1', '/metadata/strict-1/', '/.well-known/Health', '/openapi.json/']) {
    assertProblem(await httpJson('GET', `${service.url}${path}`), 404);
  }
});

test('/openapi.json describes every route the service serves', async () => {
  const response = await httpJson('GET', `${service.url}/openapi.json`);
  const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(document.openapi, '3.1.0');
  const routes = metadataRoutes(new MetadataController(new MemoryMetadataRepository()));
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    assert.ok(document.paths[path]?.[route.method], `${route.method} ${path} is described`);
  }
});

test('database down → 503 problem and readiness 503; back up → serves again without a restart', async () => {
  await put('outage-1', { title: 'Before the outage' });
  await mariadb.kill();
  try {
    const read = await httpJson('GET', `${service.url}/metadata/outage-1`);
    assertProblem(read, 503);
    assert.equal((read.body as { dependency?: string }).dependency, 'database');
    assert.equal(read.headers.get('retry-after'), '1');
    assertProblem(await put('outage-2', { title: 'During the outage' }), 503);
    const health = await httpJson('GET', `${service.url}/.well-known/health`);
    assert.equal(health.status, 503);
    assert.equal((health.body as { checks: { database: { status: string } } }).checks.database.status, 'down');
    const alive = await httpJson('GET', `${service.url}/.well-known/alive`);
    assert.equal(alive.status, 200, 'liveness stays up: restarting would not help');
  } finally {
    await mariadb.start();
  }
  const health = await httpJson('GET', `${service.url}/.well-known/health`);
  assert.equal(health.status, 200);
  const read = await httpJson('GET', `${service.url}/metadata/outage-1`);
  assert.equal(read.status, 200);
  assert.equal((read.body as { title: string }).title, 'Before the outage');
  assert.equal(service.running, true);
});
