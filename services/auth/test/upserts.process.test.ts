import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { freePort, httpJson, startMariaDb, serviceMain, startProcess, TELEMETRY_PRELOAD, type StartedService } from '@cinemetrics/testing';
import { decodeJwt } from 'jose';
import { accessToken, ADMIN_TOKEN, basic, signIn, startAuth, tokenRequest } from './support.js';

/** Password resets and secret rotations on the admin port, and clients declared by AUTH_CLIENTS. */

const started: StartedService[] = [];
after(() => Promise.all(started.map((proc) => proc.stop('SIGTERM', 5_000))));

function put(auth: StartedService, path: string, body: unknown, token = ADMIN_TOKEN) {
  return httpJson('PUT', `${auth.adminUrl}${path}`, body, { authorization: `Bearer ${token}` });
}

function clientToken(auth: StartedService, clientId: string, secret: string) {
  return tokenRequest(auth, { grant_type: 'client_credentials' }, basic(clientId, secret));
}

describe('PUT /admin/users/{username} and PUT /admin/clients/{clientId}', () => {
  test('create (201), then replace (200): the old password or secret stops working, the user id stays', async () => {
    const auth = await startAuth({}, started);
    const created = await put(auth, '/admin/users/Dana', { password: 'first-password', roles: [] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const user = created.body as { id: string; username: string; roles: string[] };
    assert.deepEqual(Object.keys(user).sort(), ['createdAt', 'id', 'roles', 'username']);
    assert.equal(user.username, 'dana');
    assert.equal(decodeJwt(accessToken(await signIn(auth, 'dana', 'first-password'))).sub, user.id);

    const replaced = await put(auth, '/admin/users/dana', { password: 'second-password', roles: ['admin'] });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal((replaced.body as { id: string }).id, user.id);
    assert.equal((await signIn(auth, 'dana', 'first-password')).status, 401);
    const claims = decodeJwt(accessToken(await signIn(auth, 'dana', 'second-password')));
    assert.deepEqual([claims.sub, claims['roles']], [user.id, ['admin']]);

    assert.equal((await put(auth, '/admin/clients/seed', { secret: 'first-secret-0123456789', roles: ['admin'] })).status, 201);
    assert.equal((await clientToken(auth, 'seed', 'first-secret-0123456789')).status, 200);
    const rotated = await put(auth, '/admin/clients/seed', { secret: 'second-secret-0123456789', roles: [] });
    assert.equal(rotated.status, 200);
    assert.deepEqual(Object.keys(rotated.body as object).sort(), ['clientId', 'createdAt', 'roles']);
    assert.equal((await clientToken(auth, 'seed', 'first-secret-0123456789')).status, 401);
    assert.deepEqual(decodeJwt(accessToken(await clientToken(auth, 'seed', 'second-secret-0123456789')))['roles'], []);
  });

  test('guarded like the POST routes; bad input is a 400 naming the fields', async () => {
    const auth = await startAuth({}, started);
    assert.equal((await put(auth, '/admin/users/erin', { password: 'erin-password' }, 'wrong-token-wrong-token')).status, 401);
    assert.equal((await httpJson('PUT', `${auth.adminUrl}/admin/clients/seed`, { secret: 'a-long-enough-secret' })).status, 401);
    const invalid = await put(auth, '/admin/users/x', { password: 'short', extra: 1 });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual((invalid.body as { errors: { field: string }[] }).errors.map((error) => error.field).sort(), ['body.extra', 'body.password', 'path.username']);
    const badClient = await put(auth, '/admin/clients/Seed', { secret: 'short' });
    assert.deepEqual((badClient.body as { errors: { field: string }[] }).errors.map((error) => error.field).sort(), ['body.secret', 'path.clientId']);
  });
});

describe('AUTH_CLIENTS', () => {
  const clients = (secret: string, roles: string[]) => JSON.stringify([{ clientId: 'movie', secret, roles }]);

  test('each declared client exists at start and gets a token with its roles', async () => {
    const auth = await startAuth({ AUTH_CLIENTS: clients('movie-secret-first-run', ['service']) }, started);
    const token = decodeJwt(accessToken(await clientToken(auth, 'movie', 'movie-secret-first-run')));
    assert.deepEqual([token.sub, token['roles']], ['movie', ['service']]);
  });

  test('with MySQL, a restart with a new secret and roles replaces them: the configuration wins', async () => {
    const db = await startMariaDb();
    try {
      const first = await startAuth({ MYSQL_URL: db.url, AUTH_CLIENTS: clients('movie-secret-first-run', ['service']) }, started);
      assert.equal((await clientToken(first, 'movie', 'movie-secret-first-run')).status, 200);
      await first.stop('SIGTERM', 5_000);
      const second = await startAuth({ MYSQL_URL: db.url, AUTH_CLIENTS: clients('movie-secret-second-run', ['service', 'admin']) }, started);
      assert.equal((await clientToken(second, 'movie', 'movie-secret-first-run')).status, 401);
      assert.deepEqual(decodeJwt(accessToken(await clientToken(second, 'movie', 'movie-secret-second-run')))['roles'], ['service', 'admin']);
      await second.stop('SIGTERM', 5_000);
    } finally {
      await db.dispose();
    }
  });

  test('a bad value stops auth with exit code 2, naming the variable and the field but never the secret', async () => {
    for (const [value, expected] of [
      ['not json', /AUTH_CLIENTS: must be a JSON array like/],
      [JSON.stringify([{ clientId: 'movie', secret: 'tiny-secret', roles: [] }]), /AUTH_CLIENTS\.0\.secret: must be at least 16 characters/],
      [JSON.stringify({ clientId: 'movie' }), /AUTH_CLIENTS: must be a JSON array like/],
      [JSON.stringify([{ clientId: 'movie', secret: 'a-secret-long-enough' }, { clientId: 'movie', secret: 'a-secret-long-enough' }]), /AUTH_CLIENTS: must not name a clientId twice/],
    ] as const) {
      const proc = await startProcess({
        name: 'auth-misconfigured',
        args: ['--require', TELEMETRY_PRELOAD, serviceMain('auth')],
        env: { PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), AUTH_CLIENTS: value, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined },
      });
      assert.deepEqual(await proc.exited, { code: 2, signal: null });
      const output = proc.lines().join('\n');
      assert.match(output, expected);
      assert.ok(!output.includes('tiny-secret') && !output.includes('a-secret-long-enough'), output);
    }
  });
});
