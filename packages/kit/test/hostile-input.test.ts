import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { buildOpenApiDocument } from '../src/http/openapi.js';
import { defineRoute } from '../src/http/route.js';
import { queryInteger } from '../src/http/validation.js';
import { requireCaller } from '../src/auth/principal.js';
import { capturingLogger, measuredRequests, serveApp, testApiApp, type ServedApp } from './support.js';

const ROUTE = '/items/:id';
const itemBody = z.strictObject({ name: z.string(), tags: z.array(z.string()).default([]) });
const listQuery = z.object({ limit: queryInteger({ min: 1, max: 100 }).default(20), cursor: z.string().optional() });

const routes = [
  defineRoute({
    method: 'put',
    path: ROUTE,
    operationId: 'putItem',
    summary: 'put',
    request: { params: z.object({ id: z.string().min(1) }), body: itemBody },
    responses: { 200: { description: 'ok' } },
    handler: (ctx, { params, body }) => {
      ctx.body = { id: params.id, ...body };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/items',
    operationId: 'listItems',
    summary: 'list',
    request: { query: listQuery },
    responses: { 200: { description: 'ok' } },
    handler: (ctx, { query }) => {
      ctx.body = query;
    },
  }),
  defineRoute({
    method: 'delete',
    path: ROUTE,
    operationId: 'deleteItem',
    summary: 'delete as the caller',
    request: { params: z.object({ id: z.string().min(1) }) },
    auth: { usersOnly: true },
    responses: { 204: { description: 'gone' } },
    handler: (ctx) => {
      requireCaller(ctx);
      ctx.status = 204;
    },
  }),
];

const { logger, lines } = capturingLogger();
let served: ServedApp;

before(async () => {
  served = await serveApp(testApiApp({ logger, routes }));
});

after(() => served.close());

interface Answer {
  status: number;
  type: string | null;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(served.url + path, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function put(body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return call('/items/7', { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });
}

function fields(answer: Answer): Array<{ field: string; rule: string }> {
  return ((answer.body['errors'] ?? []) as Array<{ field: string; rule: string }>).map(({ field, rule }) => ({ field, rule }));
}


const PROBLEMS = 'https://cinemetrics.dev/problems/';
const json = JSON.stringify({ name: 'x' });

test('compressed bodies are read; a corrupt one is a 400 naming its encoding, never a 500', async () => {
  for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
    const good = await put(compress(Buffer.from(json)), { 'content-encoding': encoding });
    assert.equal(good.status, 200, encoding);
    assert.deepEqual(good.body, { id: '7', name: 'x', tags: [] });
    const corrupt = await put(Buffer.from('this is not compressed at all'), { 'content-encoding': encoding });
    assert.equal(corrupt.status, 400, encoding);
    assert.equal(corrupt.type, 'application/problem+json');
    assert.equal(corrupt.body['type'], `${PROBLEMS}undecodable-body`);
    assert.match(String(corrupt.body['detail']), new RegExp(`\\b${encoding}\\b`));
    const truncated = await put(compress(Buffer.from(json)).subarray(0, 8), { 'content-encoding': encoding });
    assert.equal(truncated.status, 400, `${encoding} truncated`);
  }
  assert.equal((await put(gzipSync(Buffer.from(json)), { 'content-encoding': 'GZip' })).status, 200, 'codings are case-insensitive');
});

test('an unsupported Content-Encoding is a 415 naming it', async () => {
  const answer = await put(json, { 'content-encoding': 'compress' });
  assert.equal(answer.status, 415);
  assert.equal(answer.body['type'], `${PROBLEMS}unsupported-content-encoding`);
  assert.match(String(answer.body['detail']), /compress/);
  assert.match(answer.headers.get('accept-encoding') ?? '', /gzip/);
  assert.equal((await put(json, { 'content-encoding': 'gzip, br' })).status, 415);
});

test('413, 415 and malformed JSON are measured and logged under the matched route', async () => {
  const cases: Array<[number, () => Promise<Answer>]> = [
    [413, () => put(JSON.stringify({ name: 'x'.repeat(4000) }))],
    [413, () => put(gzipSync(Buffer.from(JSON.stringify({ name: 'x'.repeat(100_000) }))), { 'content-encoding': 'gzip' })],
    [415, () => put('x', { 'content-type': 'text/plain' })],
    [415, () => put(json, { 'content-encoding': 'zstd' })],
    [400, () => put('{"name":')],
    [400, () => put('garbage', { 'content-encoding': 'gzip' })],
  ];
  for (const [status, send] of cases) {
    const before = await measuredRequests('PUT', ROUTE, status);
    const logged = lines.length;
    const answer = await send();
    assert.equal(answer.status, status);
    assert.equal(await measuredRequests('PUT', ROUTE, status), before + 1, `${status} counted under ${ROUTE}`);
    const access = lines.slice(logged).find((line) => line['msg'] === 'request completed');
    assert.equal(access?.['http.route'], ROUTE);
  }
});

test('malformed JSON and JSON of the wrong shape get distinct problem types', async () => {
  const malformed = await put('{"name":');
  assert.equal(malformed.body['type'], `${PROBLEMS}malformed-json`);
  for (const value of ['5', '"text"', 'null', 'true', '[1]']) {
    const answer = await put(value);
    assert.equal(answer.status, 400, value);
    assert.equal(answer.body['type'], `${PROBLEMS}validation`, value);
    assert.deepEqual(fields(answer), [{ field: 'body', rule: 'invalid_type' }], value);
    assert.match(String(answer.body['detail']), /^body: .*expected object/, value);
  }
  const empty = await put('');
  assert.equal(empty.status, 400);
  assert.deepEqual(fields(empty), [{ field: 'body', rule: 'required' }]);
});

test('a malformed bearer header is a 401 invalid_token problem, never a 500', async () => {
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'bearer  x.y', 'Bearer not-a-jwt']) {
    const answer = await call('/items/7', { method: 'DELETE', headers: { authorization } });
    assert.equal(answer.status, 401, authorization);
    assert.equal(answer.body['type'], `${PROBLEMS}invalid-token`, authorization);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="cinemetrics", error="invalid_token"/, authorization);
  }
});

test('query integers are decimal digits within their bounds', async () => {
  assert.deepEqual((await call('/items?limit=7')).body, { limit: 7 });
  assert.deepEqual((await call('/items')).body, { limit: 20 });
  for (const bad of ['0x10', '1e1', '1.0', '', '+5', ' 5', '5 ', '99999999999999999999', 'Infinity']) {
    const answer = await call(`/items?limit=${encodeURIComponent(bad)}`);
    assert.equal(answer.status, 400, bad);
    assert.deepEqual(fields(answer), [{ field: 'query.limit', rule: 'invalid_format' }], bad);
  }
  assert.deepEqual(fields(await call('/items?limit=1000')), [{ field: 'query.limit', rule: 'too_big' }]);
  assert.deepEqual(fields(await call('/items?limit=0')), [{ field: 'query.limit', rule: 'too_small' }]);
  assert.deepEqual(fields(await call('/items?limit=1&limit=2')), [{ field: 'query.limit', rule: 'invalid_type' }]);
});

test('the OpenAPI document describes a query integer as an integer with its bounds and default', () => {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, routes) as {
    paths: Record<string, Record<string, { parameters: Array<{ name: string; schema: Record<string, unknown> }> }>>;
  };
  const limit = document.paths['/items']?.['get']?.parameters.find((parameter) => parameter.name === 'limit');
  assert.deepEqual(limit?.schema, { type: 'integer', minimum: 1, maximum: 100, default: 20 });
});

test('routing is strict and case-sensitive, for the well-known routes too', async () => {
  assert.equal((await call('/items')).status, 200);
  for (const path of ['/items/', '/ITEMS', '/Items?limit=2', '/.well-known/alive/', '/.well-known/ALIVE', '/OPENAPI.json']) {
    const answer = await call(path);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.type, 'application/problem+json', path);
  }
  assert.equal((await put(json)).status, 200);
  assert.equal((await call('/ITEMS/7', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: json })).status, 404);
});

test('a lone UTF-16 surrogate anywhere in the request is a 400 naming the field', async () => {
  const cases: Array<[string, string]> = [
    ['{"name":"\\ud800"}', 'body.name'],
    ['{"name":"ok","tags":["fine","a\\udfffb"]}', 'body.tags[1]'],
    ['{"name":"ok","\\udc00":1}', 'body.\udc00'],
    ['"\\ud83d"', 'body'],
  ];
  for (const [body, field] of cases) {
    const answer = await put(body);
    assert.equal(answer.status, 400, body);
    assert.equal(answer.body['type'], `${PROBLEMS}validation`);
    assert.deepEqual(fields(answer).filter((error) => error.rule === 'lone_surrogate'), [{ field, rule: 'lone_surrogate' }], body);
  }
  // A well-formed pair is text like any other.
  assert.equal((await put('{"name":"\\ud83d\\ude00"}')).status, 200);
});
