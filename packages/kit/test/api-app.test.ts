import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineRoute } from '../src/http/route.js';
import { jwks, newSigningKey, signToken } from '@cinemetrics/testing';
import { capturingLogger, serveApp, testApiApp, verifierFor, type ServedApp } from './support.js';

const { logger, lines } = capturingLogger();
let served: ServedApp;
let base: string;
let token: string;

before(async () => {
  const key = await newSigningKey();
  token = await signToken(key, { sub: 'user-7' });
  const app = testApiApp({
    logger,
    verifier: verifierFor(jwks(key)),
    routes: [
      defineRoute({
        method: 'put',
        path: '/items/:id',
        operationId: 'putItem',
        summary: 'put',
        request: { params: z.object({ id: z.string().regex(/^\d+$/) }), body: z.strictObject({ name: z.string() }) },
        responses: { 200: { description: 'ok' } },
        handler: (ctx, { params, body }) => {
          ctx.body = { id: params.id, name: body.name, authorization: ctx.get('authorization') ? 'seen' : 'none' };
        },
      }),
      defineRoute({
        method: 'post',
        path: '/form',
        operationId: 'postForm',
        summary: 'form',
        request: { form: z.strictObject({ grant_type: z.literal('client_credentials'), scope: z.string().optional() }) },
        responses: { 200: { description: 'ok' } },
        handler: (ctx, { form }) => {
          ctx.body = form;
        },
      }),
      defineRoute({
        method: 'get',
        path: '/boom',
        operationId: 'boom',
        summary: 'fails',
        responses: { 200: { description: 'never' } },
        handler: () => {
          throw new Error('secret internal detail');
        },
      }),
    ],
  });
  served = await serveApp(app);
  base = served.url;
});

after(() => served.close());

async function call(path: string, init?: RequestInit) {
  const response = await fetch(base + path, init);
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const json = { 'content-type': 'application/json' };

test('a valid request reaches the handler with parsed input', async () => {
  const response = await call('/items/7', { method: 'PUT', headers: { ...json, authorization: `Bearer ${token}` }, body: '{"name":"x"}' });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { id: '7', name: 'x', authorization: 'seen' });
});

test('a form body: parsed for its schema; JSON → 415, oversized → 413, a bad field → 400 naming it', async () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const ok = await call('/form', { method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=a+b' });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { grant_type: 'client_credentials', scope: 'a b' });
  const asJson = await call('/form', { method: 'POST', headers: json, body: '{"grant_type":"client_credentials"}' });
  assert.equal(asJson.status, 415);
  assert.equal(asJson.type, 'application/problem+json');
  assert.match(String(asJson.body['detail']), /application\/x-www-form-urlencoded/);
  const large = await call('/form', { method: 'POST', headers: form, body: `grant_type=client_credentials&scope=${'x'.repeat(2000)}` });
  assert.equal(large.status, 413);
  const invalid = await call('/form', { method: 'POST', headers: form, body: 'grant_type=password' });
  assert.equal(invalid.status, 400);
  assert.deepEqual((invalid.body['errors'] as Array<{ field: string }>).map((e) => e.field), ['body.grant_type']);
});

test('unknown route → 404, wrong method → 405 with Allow, both problem+json', async () => {
  const missing = await call('/nothing');
  assert.equal(missing.status, 404);
  assert.equal(missing.type, 'application/problem+json');
  const wrong = await call('/items/7', { method: 'DELETE' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.type, 'application/problem+json');
  assert.match(wrong.headers.get('allow') ?? '', /PUT/);
});

test('malformed JSON → 400, oversized → 413, not JSON → 415, invalid → 400 naming the field', async () => {
  const malformed = await call('/items/7', { method: 'PUT', headers: json, body: '{"name":' });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body['title'], 'Malformed JSON');
  const large = await call('/items/7', { method: 'PUT', headers: json, body: JSON.stringify({ name: 'x'.repeat(2000) }) });
  assert.equal(large.status, 413);
  const text = await call('/items/7', { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(text.status, 415);
  const invalid = await call('/items/abc', { method: 'PUT', headers: json, body: '{"name":1}' });
  assert.equal(invalid.status, 400);
  assert.deepEqual(
    (invalid.body['errors'] as Array<{ field: string }>).map((e) => e.field),
    ['path.id', 'body.name'],
  );
});

test('an unexpected error is a bare 500: no message, no stack; the log has both', async () => {
  const response = await call('/boom');
  assert.equal(response.status, 500);
  assert.equal(response.type, 'application/problem+json');
  assert.doesNotMatch(JSON.stringify(response.body), /secret internal detail|at /);
  const logged = lines.find((line) => line['msg'] === 'request failed');
  assert.match(JSON.stringify(logged), /secret internal detail/);
});

test('one access-log line per request with the route template and the caller, never the raw id or the token', async () => {
  const before = lines.length;
  await call('/items/12345', { method: 'PUT', headers: { ...json, authorization: `Bearer ${token}` }, body: '{"name":"x"}' });
  const access = lines.slice(before).filter((line) => line['msg'] === 'request completed');
  assert.equal(access.length, 1);
  assert.equal(access[0]?.['http.route'], '/items/:id');
  assert.equal(access[0]?.['http.method'], 'PUT');
  assert.equal(access[0]?.['http.status_code'], 200);
  assert.equal(typeof access[0]?.['duration_ms'], 'number');
  assert.equal(access[0]?.['enduser.id'], 'user-7');
  assert.ok(!JSON.stringify(lines).includes(token));
  assert.ok(!JSON.stringify(lines).includes(token.split('.')[2] ?? '-'), 'not even the signature');
});

test('request ids: a safe incoming id is kept, an unsafe one replaced', async () => {
  const kept = await fetch(`${base}/nothing`, { headers: { 'x-request-id': 'abc-123' } });
  assert.equal(kept.headers.get('x-request-id'), 'abc-123');
  const replaced = await fetch(`${base}/nothing`, { headers: { 'x-request-id': 'bad id\u00e9' } });
  assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});
