import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, startProcess, startService, type StartedService } from '@cinemetrics/testing';

/** `npm run users` end to end against a running auth service (in-memory store). */

const USERS_JS = path.resolve(__dirname, '../src/users.js');
const ADMIN_TOKEN = 'users-cli-admin-token-0123';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `input` on its standard input (a pipe, not a terminal). */
function users(args: string[], env: Record<string, string | undefined>, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [USERS_JS, ...args], {
      env: { ...process.env, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function clientToken(auth: StartedService, clientId: string, secret: string): Promise<number> {
  const response = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
  });
  return response.status;
}

async function signIn(auth: StartedService, username: string, password: string): Promise<{ status: number; roles?: string[] }> {
  const response = await fetch(`${auth.url}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (response.status !== 200) return { status: response.status };
  const { access_token: token } = (await response.json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { roles: string[] };
  return { status: 200, roles: claims.roles };
}

describe('npm run users', () => {
  let auth: StartedService;
  let env: Record<string, string>;
  before(async () => {
    auth = await startService('auth', { env: { NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ADMIN_TOKEN, OTEL_SDK_DISABLED: 'true' } });
    env = { AUTH_ADMIN_URL: auth.adminUrl, ADMIN_TOKEN };
  });
  after(() => auth?.stop('SIGTERM', 5_000));

  test('add: the password from a variable or from standard input, never an argument', async () => {
    const fromEnv = await users(['add', 'alice', '--role', 'admin', '--role', 'editor', '--password-env', 'ALICE_PASSWORD'], { ...env, ALICE_PASSWORD: 'alice-password' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /user alice created: id [0-9a-f-]{36}, roles \[admin, editor\]/);
    assert.ok(!fromEnv.stdout.includes('alice-password'));
    assert.deepEqual(await signIn(auth, 'alice', 'alice-password'), { status: 200, roles: ['admin', 'editor'] });

    const fromStdin = await users(['add', 'bob'], env, 'bob-password\n');
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal((await signIn(auth, 'bob', 'bob-password')).status, 200);

    const asArgument = await users(['add', 'carol', 'carol-password'], env);
    assert.equal(asArgument.code, 2);
    assert.match(asArgument.stderr, /never arguments/);
  });

  test('add-client: a generated secret printed once, or one from a variable', async () => {
    const generated = await users(['add-client', 'movie', '--role', 'service'], env);
    assert.equal(generated.code, 0, generated.stderr);
    const secret = /secret \(shown only now, store it safely\): (\S+)/.exec(generated.stdout)?.[1];
    assert.ok(secret && secret.length >= 40, generated.stdout);
    assert.equal(await clientToken(auth, 'movie', secret), 200);

    const fromEnv = await users(['add-client', 'rating', '--secret-env', 'RATING_SECRET'], { ...env, RATING_SECRET: 'rating-client-secret' });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.ok(!fromEnv.stdout.includes('rating-client-secret'));
    assert.equal(await clientToken(auth, 'rating', 'rating-client-secret'), 200);
  });

  test('rotate-key: a new key signs', async () => {
    const before = ((await (await fetch(`${auth.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    const rotated = await users(['rotate-key'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const kid = /signing key rotated: (\S+) signs from now on; retired (\S+)/.exec(rotated.stdout);
    assert.ok(kid, rotated.stdout);
    assert.deepEqual([kid[2]], before);
    assert.notEqual(kid[1], kid[2]);
  });

  test('clear errors: taken names, a wrong token, auth not running, bad usage', async () => {
    const taken = await users(['add', 'alice', '--password-env', 'PW'], { ...env, PW: 'another-password' });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists \(409\)/);

    const refused = await users(['rotate-key'], { ...env, ADMIN_TOKEN: 'not-the-admin-token-at-all' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /admin token was refused \(401\)/);

    const noToken = await users(['rotate-key'], { AUTH_ADMIN_URL: auth.adminUrl, ADMIN_TOKEN: undefined });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /ADMIN_TOKEN is not set/);

    const closedPort = await freePort();
    const down = await users(['rotate-key'], { ...env, AUTH_ADMIN_URL: `http://127.0.0.1:${closedPort}` });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /auth is not reachable at http:\/\/127\.0\.0\.1:\d+ .*is it running/);

    const invalid = await users(['add', 'x', '--password-env', 'PW'], { ...env, PW: 'short' });
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /body\.username: .*; body\.password: /);

    for (const args of [[], ['remove', 'alice'], ['add'], ['rotate-key', '--role', 'admin'], ['add', 'dave', '--password', 'x']]) {
      const usage = await users(args, env);
      assert.equal(usage.code, 2, args.join(' '));
      assert.match(usage.stderr, /usage:/);
    }
    const help = await startProcess({ name: 'users', args: [USERS_JS, '--help'] });
    assert.equal((await help.exited).code, 0);
    assert.match(help.lines().join('\n'), /npm run users -- add-client/);
  });
});
