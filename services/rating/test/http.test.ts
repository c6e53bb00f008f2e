import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiPath } from '@cinemetrics/kit';
import {
  httpJson,
  startAuth,
  startMariaDb,
  startService,
  type HttpResponse,
  type MariaDb,
  type ServiceClient,
  type SignedInUser,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';
import { RatingController } from '../src/controller.js';
import { ratingOperations, ratingRoutes } from '../src/http/routes.js';
import { MemoryRatingRepository } from '../src/repository/memory.js';

let mariaDb: MariaDb | undefined;
let auth: StartedAuth | undefined;
let service: StartedService | undefined;
let base = '';
const users = new Map<string, SignedInUser>();
let movieClient: ServiceClient;

before(async () => {
  // Each kept as soon as it runs, so `after` stops it even when the other failed to start.
  const [database, identities] = await Promise.all([
    startMariaDb().then((started) => (mariaDb = started)),
    startAuth({ env: { MYSQL_URL: undefined, NODE_OPTIONS: undefined } }).then((started) => (auth = started)),
  ]);
  // The compiled services/rating/dist/src/main.js as a real process on free ports, ready once
  // /.well-known/health answers 200.
  service = await startService('rating', { env: { MYSQL_URL: database.url, NODE_OPTIONS: undefined, ...identities.env } });
  base = service.url;
  for (const name of ['alice', 'bob', 'carol', 'probe']) users.set(name, await identities.identities.user(name));
  movieClient = await identities.identities.client('movie', ['service']);
});

after(async () => {
  await service?.stop();
  await auth?.service.stop();
  await mariaDb?.dispose();
});

function user(name: string): SignedInUser {
  const found = users.get(name);
  if (found === undefined) throw new Error(`no test user ${name}`);
  return found;
}

/** The headers of a request made by this signed-in user. */
const as = (name: string) => user(name).headers;

/** A request whose body is sent as-is, for bodies httpJson cannot produce. */
async function rawRequest(method: string, url: string, body: string, headers: Record<string, string>): Promise<HttpResponse> {
  const response = await fetch(url, { method, body, headers: { accept: 'application/json', ...headers } });
  const text = await response.text();
  const isJson = /^application\/(problem\+)?json/.test(response.headers.get('content-type') ?? '');
  return { status: response.status, headers: response.headers, body: isJson && text !== '' ? (JSON.parse(text) as unknown) : text };
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; rule: string; message: string }[];
}

/** Checks the response is an RFC 9457 problem with `status` and no internals, and returns it. */
function assertProblem(response: HttpResponse, status: number): Problem {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const text = JSON.stringify(response.body);
  assert.equal(typeof response.body, 'object', text);
  const problem = response.body as Problem;
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, 'string');
  assert.equal(typeof problem.title, 'string');
  assert.doesNotMatch(text, /"stack"|\\n\s+at |node_modules|\.js:\d+/, 'a problem never carries a stack');
  return problem;
}

/** Checks a 400 problem lists exactly one error for `field`, broken by `rule`. */
function assertFieldError(response: HttpResponse, field: string, rule: string): void {
  const problem = assertProblem(response, 400);
  assert.deepEqual(
    problem.errors?.map((error) => [error.field, error.rule]),
    [[field, rule]],
    JSON.stringify(problem),
  );
  assert.match(problem.detail ?? '', new RegExp(`^${field.replace('.', '\\.')}: `));
}

describe('ratings over HTTP', () => {
  test('the service stores ratings in MariaDB, not in memory', async () => {
    assert.ok(service);
    // Log lines reach stdout a few milliseconds after they are written: wait for it.
    const ready = JSON.parse(await service.waitForLine((_line, json) => json?.['msg'] === 'database ready')) as Record<string, unknown>;
    assert.equal(ready['store'], 'mysql', service.lines().join('\n'));
    assert.equal(ready['database'], 'rating');
  });

  test('PUT creates (201) then replaces (200); GET averages; DELETE removes the caller’s rating', async () => {
    const url = `${base}/ratings/movie/tt0078748`;
    let response = await httpJson('PUT', url, { value: 5 }, as('alice'));
    assert.equal(response.status, 201);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(response.body, { recordType: 'movie', recordId: 'tt0078748', userId: user('alice').id, value: 5 });

    response = await httpJson('PUT', url, { value: 1 }, as('bob'));
    assert.equal(response.status, 201);
    response = await httpJson('GET', url);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { recordType: 'movie', recordId: 'tt0078748', average: 3, count: 2 });

    response = await httpJson('PUT', url, { value: 2 }, as('alice'));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { recordType: 'movie', recordId: 'tt0078748', userId: user('alice').id, value: 2 });
    response = await httpJson('PUT', url, { value: 2 }, as('alice'));
    assert.equal(response.status, 200, 'the same rating again is idempotent');
    response = await httpJson('PUT', url, { value: 2 }, as('carol'));
    assert.equal(response.status, 201);
    response = await httpJson('GET', url);
    assert.deepEqual(response.body, { recordType: 'movie', recordId: 'tt0078748', average: 5 / 3, count: 3 });

    response = await httpJson('DELETE', url, undefined, as('alice'));
    assert.equal(response.status, 204);
    assert.equal(response.body, '');
    assertProblem(await httpJson('DELETE', url, undefined, as('alice')), 404);
    response = await httpJson('GET', url);
    assert.deepEqual(response.body, { recordType: 'movie', recordId: 'tt0078748', average: 1.5, count: 2 });

    await httpJson('DELETE', url, undefined, as('bob'));
    await httpJson('DELETE', url, undefined, as('carol'));
    assertProblem(await httpJson('GET', url), 404);
  });

  test('GET of a record nobody rated is a 404 problem', async () => {
    const problem = assertProblem(await httpJson('GET', `${base}/ratings/actor/nm0000244`), 404);
    assert.match(problem.detail ?? '', /actor nm0000244/);
  });

  test('record types and ids are case-sensitive', async () => {
    assert.equal((await httpJson('PUT', `${base}/ratings/movie/Case`, { value: 4 }, as('alice'))).status, 201);
    assert.equal((await httpJson('PUT', `${base}/ratings/movie/case`, { value: 2 }, as('alice'))).status, 201);
    assert.deepEqual((await httpJson('GET', `${base}/ratings/movie/Case`)).body, {
      recordType: 'movie',
      recordId: 'Case',
      average: 4,
      count: 1,
    });
  });
});

describe('validation errors name the field and the rule', () => {
  const url = () => `${base}/ratings/movie/tt1`;

  for (const method of ['GET', 'PUT', 'DELETE']) {
    const body = method === 'PUT' ? { value: 3 } : undefined;
    test(`${method} with a bad record type`, async () => {
      for (const recordType of ['Movie', '1movie', `m${'x'.repeat(32)}`, 'mo%20vie']) {
        const response = await httpJson(method, `${base}/ratings/${recordType}/tt1`, body, as('alice'));
        assertFieldError(response, 'path.recordType', 'invalid_format');
      }
    });
    test(`${method} with a bad record id`, async () => {
      for (const recordId of ['-tt1', '.hidden', `t${'x'.repeat(64)}`, 'tt%201', 'caf%C3%A9']) {
        const response = await httpJson(method, `${base}/ratings/movie/${recordId}`, body, as('alice'));
        assertFieldError(response, 'path.recordId', 'invalid_format');
      }
    });
  }

  const badValues: [string, unknown, string][] = [
    ['value 0', { value: 0 }, 'too_small'],
    ['value 6', { value: 6 }, 'too_big'],
    ['value 2.5', { value: 2.5 }, 'invalid_type'],
    ['value "3"', { value: '3' }, 'invalid_type'],
    ['value null', { value: null }, 'invalid_type'],
    ['value missing', {}, 'required'],
  ];
  for (const [name, body, rule] of badValues) {
    test(`PUT with ${name}`, async () => {
      assertFieldError(await httpJson('PUT', url(), body, as('alice')), 'body.value', rule);
    });
  }

  test('PUT with an unknown body key', async () => {
    assertFieldError(await httpJson('PUT', url(), { value: 3, comment: 'great' }, as('alice')), 'body.comment', 'unrecognized_key');
  });

  test('PUT with a body that is not an object', async () => {
    assertFieldError(await httpJson('PUT', url(), [3], as('alice')), 'body', 'invalid_type');
  });

  test('PUT with several mistakes lists each of them', async () => {
    const problem = assertProblem(await httpJson('PUT', `${base}/ratings/Movie/tt1`, { value: 9, extra: 1 }, as('alice')), 400);
    assert.deepEqual(
      problem.errors?.map((error) => `${error.field}:${error.rule}`).sort(),
      ['body.extra:unrecognized_key', 'body.value:too_big', 'path.recordType:invalid_format'],
    );
  });

  test('PUT with a body that is not JSON is 415', async () => {
    assertProblem(await rawRequest('PUT', url(), '{"value":3}', { 'content-type': 'text/plain', ...as('alice') }), 415);
    assertProblem(await rawRequest('PUT', url(), 'value=3', { 'content-type': 'application/x-www-form-urlencoded', ...as('alice') }), 415);
  });

  test('PUT with malformed JSON is 400', async () => {
    const problem = assertProblem(await rawRequest('PUT', url(), '{"value":3', { 'content-type': 'application/json', ...as('alice') }), 400);
    assert.equal(problem.title, 'Malformed JSON');
    assert.equal((problem as { type?: string }).type, 'https://cinemetrics.dev/problems/malformed-json');
  });

  test('PUT with a JSON value that is not an object is a validation problem naming body', async () => {
    for (const body of ['5', '"five"', 'null']) {
      assertFieldError(await rawRequest('PUT', url(), body, { 'content-type': 'application/json', ...as('alice') }), 'body', 'invalid_type');
    }
  });

  for (const method of ['PUT', 'DELETE']) {
    test(`${method} without a token is 401 with a Bearer challenge`, async () => {
      const body = method === 'PUT' ? { value: 3 } : undefined;
      const response = await httpJson(method, url(), body);
      const problem = assertProblem(response, 401);
      assert.match(problem.detail ?? '', /bearer token is required/);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="cinemetrics"');
    });
    test(`${method} with x-user-id instead of a token is 401: the header is not trusted`, async () => {
      const body = method === 'PUT' ? { value: 3 } : undefined;
      assertProblem(await httpJson(method, url(), body, { 'x-user-id': user('alice').id }), 401);
    });
    test(`${method} with a service client's token is 403: ratings are people's`, async () => {
      const body = method === 'PUT' ? { value: 3 } : undefined;
      assertProblem(await httpJson(method, url(), body, movieClient.headers), 403);
    });
  }

  test('a rejected PUT stores nothing', async () => {
    assertProblem(await httpJson('GET', `${base}/ratings/movie/tt1`), 404);
  });
});

describe('routing', () => {
  test('unknown routes are 404 problems', async () => {
    for (const route of ['/nope', '/ratings', '/ratings/movie', '/ratings/movie/tt1/extra', '/rating/movie/tt1']) {
      const problem = assertProblem(await httpJson('GET', `${base}${route}`), 404);
      assert.match(problem.detail ?? '', /No route/);
    }
  });

  test('a wrong method is a 405 problem with Allow', async () => {
    for (const method of ['POST', 'PATCH']) {
      const response = await httpJson(method, `${base}/ratings/movie/tt1`, { value: 3 }, as('alice'));
      assertProblem(response, 405);
      const allow = (response.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      for (const expected of ['GET', 'PUT', 'DELETE']) assert.ok(allow.includes(expected), `Allow: ${allow.join(', ')}`);
      assert.ok(!allow.includes(method));
    }
  });
});

describe('OpenAPI document', () => {
  const operationsOf = (document: { paths: Record<string, Record<string, unknown>> }) =>
    Object.entries(document.paths)
      .flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`))
      .sort();

  test('/openapi.json describes every route the service registers, and nothing else', async () => {
    const response = await httpJson('GET', `${base}/openapi.json`);
    assert.equal(response.status, 200);
    const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\.1\./);

    const registered = ratingOperations(ratingRoutes(new RatingController(new MemoryRatingRepository())))
      .map(({ method, path: route }) => `${method.toUpperCase()} ${openApiPath(route)}`);
    assert.equal(registered.length, 3);
    const wellKnown = ['GET /.well-known/alive', 'GET /.well-known/health', 'GET /openapi.json'];
    assert.deepEqual(operationsOf(document), [...registered, ...wellKnown].sort());
  });

  test('every documented operation is served (none answers "no route" or 405)', async () => {
    const document = (await httpJson('GET', `${base}/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
    for (const operation of operationsOf(document)) {
      const [method = '', template = ''] = operation.split(' ');
      const url = base + template.replace('{recordType}', 'movie').replace('{recordId}', 'openapi-probe');
      const response = await httpJson(method, url, method === 'PUT' ? { value: 3 } : undefined, as('probe'));
      assert.notEqual(response.status, 405, operation);
      if (response.status === 404) {
        assert.doesNotMatch((response.body as Problem).detail ?? '', /No route/, operation);
      }
    }
  });

  test('the documented operations carry their request schemas', async () => {
    const document = (await httpJson('GET', `${base}/openapi.json`)).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>>;
    };
    const item = document.paths['/ratings/{recordType}/{recordId}'] ?? {};
    for (const method of ['get', 'put', 'delete']) {
      assert.deepEqual(item[method]?.parameters?.map((p) => `${p.in}:${p.name}`), ['path:recordType', 'path:recordId'], method);
    }
    assert.ok(item['put']?.requestBody, 'PUT documents its body');
  });
});
