import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { hostileTokens, jwks, newSigningKey, signToken, startScriptedServer, TEST_AUDIENCE, TEST_ISSUER, type ScriptedServer, type SigningKey } from '@cinemetrics/testing';
import { defineRoute, type Route } from '../src/http/route.js';
import { requireCaller } from '../src/auth/principal.js';
import { RemoteKeySet } from '../src/auth/key-source.js';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { adminAccess } from '../src/http/admin-app.js';
import { strictRouter } from '../src/http/route.js';
import { capturingLogger, serveApp, testApiApp, verifierFor, type ServedApp } from './support.js';
import Koa from 'koa';
import { problemMiddleware } from '../src/http/errors.js';

const routes: Route[] = [
  defineRoute({
    method: 'get',
    path: '/things/:id',
    operationId: 'getThing',
    summary: 'public read',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: { description: 'ok' } },
    handler: (ctx) => {
      ctx.body = { public: true };
    },
  }),
  defineRoute({
    method: 'put',
    path: '/things/:id',
    operationId: 'putThing',
    summary: 'admin write',
    auth: { roles: ['admin'] },
    request: { params: z.object({ id: z.string() }), body: z.object({ name: z.string() }) },
    responses: { 200: { description: 'ok' } },
    handler: (ctx) => {
      ctx.body = { stored: true };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/things/:id',
    operationId: 'deleteMine',
    summary: 'a user acting for themself',
    auth: { usersOnly: true },
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: { description: 'ok' } },
    handler: (ctx) => {
      ctx.body = { user: requireCaller(ctx).userId };
    },
  }),
];

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
  contentType: string | null;
}

async function call(url: string, method: string, token?: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    challenge: response.headers.get('www-authenticate'),
    contentType: response.headers.get('content-type'),
  };
}

describe('bearer tokens on public routes', () => {
  let key: SigningKey;
  let stranger: SigningKey;
  let served: ServedApp;
  const { logger, lines } = capturingLogger();

  before(async () => {
    key = await newSigningKey();
    stranger = await newSigningKey();
    served = await serveApp(testApiApp({ logger, routes, verifier: verifierFor(jwks(key)) }));
  });
  after(() => served.close());

  test('a valid token with the right role passes; the subject reaches the handler and the access log', async () => {
    assert.equal((await call(`${served.url}/things/1`, 'PUT', await signToken(key, { roles: ['admin'] }), { name: 'x' })).status, 200);
    const answer = await call(`${served.url}/things/1`, 'DELETE', await signToken(key, { sub: 'user-42' }));
    assert.deepEqual(answer.body, { user: 'user-42' });
  });

  test('no token on a protected route: 401 with a Bearer challenge, before the body is read', async () => {
    const answer = await call(`${served.url}/things/1`, 'PUT', undefined, { wrong: 'shape' });
    assert.equal(answer.status, 401);
    assert.equal(answer.contentType, 'application/problem+json');
    assert.equal(answer.challenge, 'Bearer realm="cinemetrics"');
  });

  test('every hostile token is a 401 invalid_token problem on every protected route, and on public ones', async () => {
    const tokens = await hostileTokens(key, stranger, { roles: ['admin'] });
    for (const [name, token] of Object.entries(tokens)) {
      for (const [method, body] of [['PUT', { name: 'x' }], ['DELETE', undefined], ['GET', undefined]] as const) {
        const answer = await call(`${served.url}/things/1`, method, token, body);
        assert.equal(answer.status, 401, `${name} on ${method}`);
        assert.equal(answer.contentType, 'application/problem+json', name);
        assert.match(answer.challenge ?? '', /^Bearer realm="cinemetrics", error="invalid_token", error_description="[^"]+"$/, name);
        assert.equal(answer.body['error'], 'invalid_token', name);
        assert.ok(!JSON.stringify(answer.body).includes(token), `${name}: the token is not echoed`);
      }
    }
  });

  test('the reason is specific: expired, not yet valid, issuer, audience, unknown key, algorithm', async () => {
    const tokens = await hostileTokens(key, stranger, { roles: ['admin'] });
    const detail = async (name: string) => String((await call(`${served.url}/things/1`, 'GET', tokens[name])).body['detail']);
    assert.match(await detail('expired'), /expired/);
    assert.match(await detail('not yet valid (nbf)'), /not yet valid/);
    assert.match(await detail('issued in the future (iat)'), /not yet valid/);
    assert.match(await detail('wrong issuer'), /claim iss/);
    assert.match(await detail('wrong audience'), /claim aud/);
    assert.match(await detail('unknown kid'), /unknown key/);
    assert.match(await detail('alg none'), /algorithm not allowed|malformed/);
    assert.match(await detail('HS256 with the public key'), /algorithm not allowed/);
    assert.match(await detail('bad signature'), /signature/);
  });

  test('a token within the clock skew is accepted', async () => {
    const justExpired = await signToken(key, { roles: ['admin'], issuedIn: -300, expiresIn: -10 });
    assert.equal((await call(`${served.url}/things/1`, 'GET', justExpired)).status, 200);
  });

  test('wrong role or a client token on a users-only route: 403 insufficient_scope', async () => {
    const user = await call(`${served.url}/things/1`, 'PUT', await signToken(key, { roles: ['viewer'] }), { name: 'x' });
    assert.equal(user.status, 403);
    assert.match(user.challenge ?? '', /error="insufficient_scope"/);
    assert.match(String(user.body['detail']), /role admin is required/);
    const client = await call(`${served.url}/things/1`, 'DELETE', await signToken(key, { clientId: 'movie', roles: ['service'] }));
    assert.equal(client.status, 403);
  });

  test('no token on a public route is fine; a rejected token is logged at debug without the token', async () => {
    assert.equal((await call(`${served.url}/things/1`, 'GET')).status, 200);
    const token = (await hostileTokens(key, stranger)).expired;
    await call(`${served.url}/things/1`, 'GET', token);
    const rejected = lines.filter((line) => line['msg'] === 'bearer token rejected');
    assert.ok(rejected.length > 0);
    assert.ok(!JSON.stringify(lines).includes(token ?? '-'), 'no log line carries a token');
  });
});

describe('keys from the auth service', () => {
  let jwksServer: ScriptedServer;
  let current: SigningKey;
  let rotated: SigningKey;
  let keySet: { keys: unknown[] };
  let down = false;
  const { logger } = capturingLogger();

  before(async () => {
    current = await newSigningKey();
    rotated = await newSigningKey();
    keySet = jwks(current);
    jwksServer = await startScriptedServer();
    jwksServer.fallback = (_request, response) => {
      if (down) {
        response.writeHead(503).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet));
    };
  });
  after(() => jwksServer.close());

  function verifier(options: { cooldownMs?: number; maxAgeMs?: number } = {}): TokenVerifier {
    const keys = new RemoteKeySet({ url: `${jwksServer.url}/.well-known/jwks.json`, logger, ...options });
    return new TokenVerifier({ keys: keys.getKey, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, clockToleranceSeconds: 30 });
  }

  test('fetched once and cached; a new key id is picked up without a restart; the old key keeps verifying', async () => {
    down = false;
    keySet = jwks(current);
    const check = verifier({ cooldownMs: 0 });
    const before = jwksServer.seen.length;
    await check.verify(await signToken(current));
    await check.verify(await signToken(current));
    assert.equal(jwksServer.seen.length - before, 1, 'one fetch for two verifications');
    keySet = jwks(rotated, current);
    assert.equal((await check.verify(await signToken(rotated, { sub: 'after-rotation' }))).subject, 'after-rotation');
    assert.equal((await check.verify(await signToken(current, { sub: 'old-key' }))).subject, 'old-key');
    assert.equal(jwksServer.seen.length - before, 2);
  });

  test('unknown key ids refresh at most once per cooldown', async () => {
    down = false;
    keySet = jwks(current);
    const check = verifier({ cooldownMs: 60_000 });
    await check.verify(await signToken(current));
    const before = jwksServer.seen.length;
    const stranger = await newSigningKey();
    for (let i = 0; i < 20; i += 1) await assert.rejects(check.verify(await signToken(stranger)), /unknown key/);
    assert.ok(jwksServer.seen.length - before <= 1, `${jwksServer.seen.length - before} fetches for 20 unknown-kid tokens`);
  });

  test('auth down: cached keys keep verifying, even when stale; an unknown key id is rejected, not an error', async () => {
    down = false;
    keySet = jwks(current);
    const check = verifier({ cooldownMs: 0, maxAgeMs: 0 });
    await check.verify(await signToken(current));
    down = true;
    assert.equal((await check.verify(await signToken(current, { sub: 'still-fine' }))).subject, 'still-fine');
    await assert.rejects(check.verify(await signToken(rotated)), { name: 'TokenRejectedError', message: 'signed with an unknown key' });
    down = false;
  });

  test('auth down from the start: every token is rejected with a reason, none crashes', async () => {
    down = true;
    await assert.rejects(verifier().verify(await signToken(current)), { name: 'TokenRejectedError', message: 'signing keys unavailable' });
    down = false;
  });
});

describe('verified tokens', () => {
  let key: SigningKey;
  before(async () => {
    key = await newSigningKey();
  });

  /** A verifier that counts how often a token's signature key is looked up: once per full check. */
  function countingVerifier(clockToleranceSeconds = 30): { verifier: TokenVerifier; checks: () => number } {
    const local = createLocalJWKSet(jwks(key));
    let checks = 0;
    const keys: JWTVerifyGetKey = (header, token) => {
      checks += 1;
      return local(header, token);
    };
    return { verifier: new TokenVerifier({ keys, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, clockToleranceSeconds }), checks: () => checks };
  }

  test('a token that verified is not checked again on the next calls; the same token altered in one character is checked in full and refused', async () => {
    const { verifier, checks } = countingVerifier();
    const token = await signToken(key, { sub: 'movie', clientId: 'movie', roles: ['service'] });
    for (let call = 0; call < 3; call += 1) assert.deepEqual(await verifier.verify(token), { subject: 'movie', roles: ['service'], kind: 'client' });
    assert.equal(checks(), 1);
    const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await assert.rejects(verifier.verify(altered), { name: 'TokenRejectedError', message: 'signature does not verify' });
    assert.equal(checks(), 2);
  });

  test('a remembered token is refused once it expires', async () => {
    const { verifier } = countingVerifier(0);
    // `exp` is in whole seconds, so a token that lives 1 s can expire within a few milliseconds of being
    // signed: 3 s leaves the first verification at least 2 s however late it runs.
    const token = await signToken(key, { expiresIn: 3 });
    await verifier.verify(token);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 20);
    await assert.rejects(verifier.verify(token), { name: 'TokenRejectedError', message: 'expired' });
  });
});

describe('admin access', () => {
  let key: SigningKey;
  let served: ServedApp;
  const ADMIN_TOKEN = 'a-static-admin-token-0123456789';

  before(async () => {
    key = await newSigningKey();
    const { logger } = capturingLogger();
    const router = strictRouter();
    router.use(adminAccess({ adminToken: ADMIN_TOKEN, verifier: verifierFor(jwks(key)), logger }));
    router.get('/admin/thing', (ctx) => {
      ctx.body = { ok: true };
    });
    const app = new Koa();
    app.use(problemMiddleware(logger));
    app.use(router.routes());
    served = await serveApp(app);
  });
  after(() => served.close());

  test('the admin token or an admin JWT; a non-admin JWT is 403; anything else 401', async () => {
    const status = async (token?: string) => (await call(`${served.url}/admin/thing`, 'GET', token)).status;
    assert.equal(await status(ADMIN_TOKEN), 200);
    assert.equal(await status(await signToken(key, { roles: ['admin'] })), 200);
    assert.equal(await status(await signToken(key, { roles: ['service'], clientId: 'movie' })), 403);
    assert.equal(await status(), 401);
    assert.equal(await status('not-the-admin-token-at-all'), 401);
    assert.equal(await status((await hostileTokens(key, await newSigningKey(), { roles: ['admin'] }))['HS256 with the public key']), 401);
  });
});
