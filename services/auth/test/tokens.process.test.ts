import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { httpJson, serviceMain, startProcess, type StartedService } from '@cinemetrics/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { accessToken, admin, ADMIN_TOKEN, basic, signIn, startAuth, tokenRequest, verify } from './support.js';

/** The compiled auth service with the in-memory store: tokens, clients, discovery, admin routes. */

const started: StartedService[] = [];
after(() => Promise.all(started.map((proc) => proc.stop('SIGTERM', 5_000))));

const ADMIN_PASSWORD = 'first-admin-password';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('tokens and discovery', () => {
  let auth: StartedService;
  before(async () => {
    auth = await startAuth({ AUTH_ADMIN_USERNAME: 'Root', AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD, ACCESS_TOKEN_TTL_SECONDS: '120' }, started);
    assert.equal((await admin(auth, '/admin/users', { username: 'alice', password: 'wonderland', roles: [] })).status, 201);
    assert.equal((await admin(auth, '/admin/clients', { clientId: 'movie', secret: 'a-long-client-secret', roles: ['service'] })).status, 201);
  });

  test('POST /tokens: a user token with the contract claims, verified against the served JWKS', async () => {
    const response = await signIn(auth, 'root', ADMIN_PASSWORD);
    const token = accessToken(response);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual({ ...(response.body as object), access_token: '' }, { access_token: '', token_type: 'Bearer', expires_in: 120 });
    const { payload, protectedHeader } = await verify(auth, token);
    assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: protectedHeader.kid, typ: 'at+jwt' });
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sub']);
    assert.match(String(payload.sub), UUID);
    assert.match(String(payload.jti), UUID);
    assert.deepEqual(payload['roles'], ['admin'], 'the first admin has the admin role (and the username is case-insensitive)');
    assert.equal(payload.exp! - payload.iat!, 120);
    assert.ok(!JSON.stringify(payload).includes('root'), 'no username in the token');

    const alice = decodeJwt(accessToken(await signIn(auth, 'alice', 'wonderland')));
    assert.deepEqual(alice['roles'], []);
    assert.notEqual(alice.sub, payload.sub);
  });

  test('unknown user and wrong password get identical answers', async () => {
    const unknown = await signIn(auth, 'nobody', 'wonderland');
    const wrong = await signIn(auth, 'alice', 'Wonderland');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(unknown.body, wrong.body);
    assert.equal(unknown.status, wrong.status);
  });

  test('POST /tokens: bad input is a 400 naming the field', async () => {
    const response = await httpJson('POST', `${auth.url}/tokens`, { username: 'alice' });
    assert.equal(response.status, 400);
    assert.deepEqual((response.body as { errors: { field: string }[] }).errors.map((error) => error.field), ['body.password']);
  });

  test('POST /oauth/token: client_secret_basic and client_secret_post give a client token', async () => {
    const viaBasic = await tokenRequest(auth, { grant_type: 'client_credentials' }, basic('movie', 'a-long-client-secret'));
    const viaPost = await tokenRequest(auth, { grant_type: 'client_credentials', client_id: 'movie', client_secret: 'a-long-client-secret' });
    for (const response of [viaBasic, viaPost]) {
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const { payload } = await verify(auth, accessToken(response));
      assert.equal(payload.sub, 'movie');
      assert.equal(payload['client_id'], 'movie');
      assert.deepEqual(payload['roles'], ['service']);
      assert.equal((response.body as { token_type: string }).token_type, 'Bearer');
    }
  });

  test('POST /oauth/token: every error is problem+json with the RFC 6749 error member', async () => {
    const cases: Array<{ name: string; form: Record<string, string>; headers?: Record<string, string>; status: number; error: string }> = [
      { name: 'no grant_type', form: { client_id: 'movie', client_secret: 'a-long-client-secret' }, status: 400, error: 'invalid_request' },
      { name: 'another grant', form: { grant_type: 'password', client_id: 'movie', client_secret: 'a-long-client-secret' }, status: 400, error: 'unsupported_grant_type' },
      { name: 'no client authentication', form: { grant_type: 'client_credentials' }, status: 401, error: 'invalid_client' },
      { name: 'only a client id', form: { grant_type: 'client_credentials', client_id: 'movie' }, status: 401, error: 'invalid_client' },
      { name: 'wrong secret', form: { grant_type: 'client_credentials', client_id: 'movie', client_secret: 'a-wrong-client-secret' }, status: 401, error: 'invalid_client' },
      { name: 'unknown client', form: { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'a-long-client-secret' }, status: 401, error: 'invalid_client' },
      { name: 'wrong basic secret', form: { grant_type: 'client_credentials' }, headers: basic('movie', 'nope'), status: 401, error: 'invalid_client' },
      { name: 'another scheme', form: { grant_type: 'client_credentials' }, headers: { authorization: 'Bearer abc' }, status: 401, error: 'invalid_client' },
      {
        name: 'two methods at once',
        form: { grant_type: 'client_credentials', client_secret: 'a-long-client-secret' },
        headers: basic('movie', 'a-long-client-secret'),
        status: 400,
        error: 'invalid_request',
      },
    ];
    for (const { name, form, headers, status, error } of cases) {
      const response = await tokenRequest(auth, form, headers);
      assert.equal(response.status, status, name);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', name);
      const body = response.body as { error: string; error_description: string; status: number };
      assert.equal(body.error, error, name);
      assert.equal(body.status, status, name);
      assert.ok(body.error_description.length > 0, name);
      if (status === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Basic/, name);
    }
    const wrongSecret = await tokenRequest(auth, { grant_type: 'client_credentials', client_id: 'movie', client_secret: 'a-wrong-client-secret' });
    const unknown = await tokenRequest(auth, { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'a-wrong-client-secret' });
    assert.deepEqual(wrongSecret.body, unknown.body, 'an unknown client and a wrong secret are told apart by nothing');

    const json = await httpJson('POST', `${auth.url}/oauth/token`, { grant_type: 'client_credentials' });
    assert.equal(json.status, 415);
    assert.equal(json.headers.get('content-type'), 'application/problem+json');
  });

  test('JWKS and discovery are served with their caching, through the well-known paths', async () => {
    const jwks = await httpJson('GET', `${auth.url}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.equal(jwks.headers.get('cache-control'), 'public, max-age=60');
    const keys = (jwks.body as { keys: Record<string, unknown>[] }).keys;
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0] ?? {}).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(keys[0]?.['use'], 'sig');

    const discovery = await httpJson('GET', `${auth.url}/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200);
    const document = discovery.body as Record<string, unknown>;
    assert.equal(document['issuer'], 'cinemetrics-auth');
    assert.equal(document['jwks_uri'], `${auth.url}/.well-known/jwks.json`);
    assert.equal(document['token_endpoint'], `${auth.url}/oauth/token`);
    assert.deepEqual(document['grant_types_supported'], ['client_credentials']);

    const openapi = (await httpJson('GET', `${auth.url}/openapi.json`)).body as { paths: Record<string, Record<string, { requestBody?: { content: object } }>> };
    assert.deepEqual(Object.keys(openapi.paths['/oauth/token']?.['post']?.requestBody?.content ?? {}), ['application/x-www-form-urlencoded']);
  });

  test('admin routes: guarded by the admin token, 409 for a taken username or client id, no hashes returned', async () => {
    assert.equal((await admin(auth, '/admin/users', { username: 'carol', password: 'carol-password' }, 'wrong-token-wrong-token')).status, 401);
    assert.equal((await httpJson('POST', `${auth.adminUrl}/admin/signing-keys`)).status, 401);
    const created = await admin(auth, '/admin/users', { username: 'carol', password: 'carol-password', roles: ['admin'] });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body as object).sort(), ['createdAt', 'id', 'roles', 'username']);
    const taken = await admin(auth, '/admin/users', { username: 'CAROL', password: 'other-password' });
    assert.equal(taken.status, 409);
    assert.equal(taken.headers.get('content-type'), 'application/problem+json');
    assert.ok(accessToken(await signIn(auth, 'carol', 'carol-password')), 'the first password still works');
    assert.equal((await admin(auth, '/admin/clients', { clientId: 'movie', secret: 'another-long-secret' })).status, 409);
    const invalid = await admin(auth, '/admin/clients', { clientId: 'Movie', secret: 'short' });
    assert.equal(invalid.status, 400);
    assert.deepEqual((invalid.body as { errors: { field: string }[] }).errors.map((error) => error.field), ['body.clientId', 'body.secret']);
  });

  test('rotation: new tokens use the new kid, old tokens still verify against the JWKS', async () => {
    const before = accessToken(await signIn(auth, 'alice', 'wonderland'));
    const oldKid = decodeProtectedHeader(before).kid;
    const rotation = await admin(auth, '/admin/signing-keys');
    assert.equal(rotation.status, 201);
    const newKid = (rotation.body as { kid: string; retired: string[] }).kid;
    assert.deepEqual((rotation.body as { retired: string[] }).retired, [oldKid]);
    const afterRotation = accessToken(await signIn(auth, 'alice', 'wonderland'));
    assert.equal(decodeProtectedHeader(afterRotation).kid, newKid);
    assert.notEqual(newKid, oldKid);
    await verify(auth, before);
    await verify(auth, afterRotation);
    const kids = ((await httpJson('GET', `${auth.url}/.well-known/jwks.json`)).body as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    assert.deepEqual(kids.sort(), [oldKid, newKid].sort());
  });
});

describe('sign-in rate limits', () => {
  test('per account: blocked after the limit, for known and unknown usernames alike; a success resets the count', async () => {
    const auth = await startAuth({ SIGNIN_MAX_FAILURES_PER_ACCOUNT: '3', SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000', SIGNIN_BLOCK_SECONDS: '300' }, started);
    await admin(auth, '/admin/users', { username: 'alice', password: 'wonderland' });
    await admin(auth, '/admin/users', { username: 'bob', password: 'the-builder' });

    // A success in between clears the account's failures.
    for (const password of ['x1', 'x2', 'wonderland', 'x3', 'x4']) await signIn(auth, 'alice', password);
    assert.equal((await signIn(auth, 'alice', 'wonderland')).status, 200);

    const answers = async (username: string, password: string) => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await signIn(auth, username, 'wrong-password')).status);
      const blocked = await signIn(auth, username, password);
      return { statuses, blocked };
    };
    const known = await answers('bob', 'the-builder');
    const unknown = await answers('mallory', 'the-builder');
    assert.deepEqual(known.statuses, [401, 401, 401]);
    assert.deepEqual(unknown.statuses, [401, 401, 401]);
    for (const { blocked } of [known, unknown]) {
      assert.equal(blocked.status, 429, 'blocked even with the right password');
      assert.equal(blocked.headers.get('content-type'), 'application/problem+json');
      const retryAfter = Number(blocked.headers.get('retry-after'));
      assert.ok(retryAfter > 290 && retryAfter <= 300, `retry-after ${retryAfter}`);
    }
    assert.deepEqual(known.blocked.body, unknown.blocked.body, 'a block says nothing about whether the account exists');
    assert.equal((await signIn(auth, 'alice', 'wonderland')).status, 200, 'other accounts are not blocked');

    // Clients are accounts too.
    await admin(auth, '/admin/clients', { clientId: 'movie', secret: 'a-long-client-secret' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.equal((await tokenRequest(auth, { grant_type: 'client_credentials' }, basic('movie', 'a-wrong-secret'))).status, 401);
    }
    const blockedClient = await tokenRequest(auth, { grant_type: 'client_credentials' }, basic('movie', 'a-long-client-secret'));
    assert.equal(blockedClient.status, 429);
    assert.ok(Number(blockedClient.headers.get('retry-after')) > 0);
  });

  test('concurrent attempts cannot slip past the limit together', async () => {
    const auth = await startAuth({ SIGNIN_MAX_FAILURES_PER_ACCOUNT: '3', SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000' }, started);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => signIn(auth, 'alice', 'wrong-password').then((response) => response.status)));
    assert.equal(statuses.filter((status) => status === 401).length, 3, statuses.join(' '));
    assert.equal(statuses.filter((status) => status === 429).length, 9, statuses.join(' '));
  });

  test('per address: failures over many usernames block the address', async () => {
    const auth = await startAuth({ SIGNIN_MAX_FAILURES_PER_ACCOUNT: '100', SIGNIN_MAX_FAILURES_PER_ADDRESS: '4', SIGNIN_BLOCK_SECONDS: '60' }, started);
    await admin(auth, '/admin/users', { username: 'alice', password: 'wonderland' });
    const statuses: number[] = [];
    for (const username of ['u1', 'u2', 'u3', 'alice']) statuses.push((await signIn(auth, username, 'wrong-password')).status);
    assert.deepEqual(statuses, [401, 401, 401, 401]);
    const blocked = await signIn(auth, 'alice', 'wonderland');
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) <= 60);
  });
});

describe('configuration', () => {
  test('the admin variables come together, and the password has at least 12 characters', async () => {
    for (const env of [{ AUTH_ADMIN_USERNAME: 'root' }, { AUTH_ADMIN_USERNAME: 'root', AUTH_ADMIN_PASSWORD: 'short' }]) {
      const proc = await startProcess({ name: 'auth', args: [serviceMain('auth')], env: { NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ADMIN_TOKEN, ...env } });
      try {
        const status = await Promise.race([proc.exited, delay(15_000).then(() => undefined)]);
        assert.equal(status?.code, 2, 'exits with code 2');
        assert.ok(proc.lines().some((line) => line.includes('AUTH_ADMIN_PASSWORD')), proc.lines().join('\n'));
      } finally {
        await proc.stop('SIGKILL');
      }
    }
  });
});
