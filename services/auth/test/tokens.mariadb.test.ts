import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpJson, startMariaDb, waitUntil, type MariaDb, type StartedService } from '@cinemetrics/testing';
import { decodeProtectedHeader } from 'jose';
import { accessToken, admin, signIn, startAuth, verify } from './support.js';

/** Two auth replicas on one MariaDB database: one signing key, shared rotation and shared sign-in limits. */

let mariadb: MariaDb;
const started: StartedService[] = [];
let replicas: [StartedService, StartedService];

const FIRST_PASSWORD = 'the-first-admin-password';

function replicaEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MYSQL_URL: mariadb.url,
    AUTH_ADMIN_USERNAME: 'root',
    AUTH_ADMIN_PASSWORD: FIRST_PASSWORD,
    SIGNIN_MAX_FAILURES_PER_ACCOUNT: '4',
    SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000',
    ...extra,
  };
}

async function jwksKids(auth: StartedService): Promise<string[]> {
  const response = await httpJson('GET', `${auth.url}/.well-known/jwks.json`);
  return (response.body as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort();
}

async function signingKid(auth: StartedService): Promise<string | undefined> {
  return decodeProtectedHeader(accessToken(await signIn(auth, 'root', FIRST_PASSWORD))).kid;
}

before(async () => {
  mariadb = await startMariaDb();
  // Both at once on an empty server: database, migrations, first key and first admin all race.
  replicas = await Promise.all([startAuth(replicaEnv(), started), startAuth(replicaEnv(), started)]);
});

after(async () => {
  await Promise.all(started.map((proc) => proc.stop('SIGTERM', 5_000)));
  await mariadb?.dispose();
});

test('two replicas started at once agree on one signing key', async () => {
  const [a, b] = replicas;
  const rows = (await mariadb.query('SELECT kid FROM auth.signing_keys')) as { kid: string }[];
  assert.equal(rows.length, 1);
  assert.deepEqual(await jwksKids(a), [rows[0]!.kid]);
  assert.deepEqual(await jwksKids(b), [rows[0]!.kid]);
  const token = accessToken(await signIn(a, 'root', FIRST_PASSWORD));
  assert.equal(decodeProtectedHeader(token).kid, rows[0]!.kid);
  await verify(b, token);
  const admins = (await mariadb.query("SELECT COUNT(*) AS n FROM auth.users WHERE username = 'root'")) as { n: number }[];
  assert.equal(Number(admins[0]?.n), 1);
});

test('a rotation on one replica reaches the other: its JWKS at once, its signing within seconds', async () => {
  const [a, b] = replicas;
  const oldKid = await signingKid(b);
  const oldToken = accessToken(await signIn(b, 'root', FIRST_PASSWORD));
  const rotation = await admin(a, '/admin/signing-keys');
  assert.equal(rotation.status, 201);
  const newKid = (rotation.body as { kid: string }).kid;
  await waitUntil(async () => ((await jwksKids(b)).includes(newKid) ? true : undefined), { timeoutMs: 5_000, intervalMs: 200, what: 'the new key in the other replica JWKS' });
  assert.deepEqual(await jwksKids(b), [oldKid, newKid].sort());
  await verify(b, oldToken);
  await waitUntil(async () => ((await signingKid(b)) === newKid ? true : undefined), {
    timeoutMs: 20_000,
    intervalMs: 500,
    what: 'the other replica signing with the new key',
  });
  const stored = (await mariadb.query('SELECT kid, retired_at FROM auth.signing_keys ORDER BY created_at')) as { kid: string; retired_at: Date | null }[];
  assert.deepEqual(
    stored.map((row) => [row.kid, row.retired_at === null]),
    [
      [oldKid, false],
      [newKid, true],
    ],
  );
});

test('failed sign-ins count across replicas', async () => {
  const [a, b] = replicas;
  await admin(a, '/admin/users', { username: 'shared', password: 'shared-password' });
  const statuses = [];
  for (const replica of [a, b, a, b]) statuses.push((await signIn(replica, 'shared', 'wrong-password')).status);
  assert.deepEqual(statuses, [401, 401, 401, 401]);
  assert.equal((await signIn(a, 'shared', 'shared-password')).status, 429);
  assert.equal((await signIn(b, 'shared', 'shared-password')).status, 429);
  const keys = (await mariadb.query('SELECT `key` FROM auth.signin_failures')) as { key: string }[];
  assert.ok(keys.length > 0);
  assert.ok(keys.every((row) => !row.key.includes('shared') && !row.key.includes('127.0.0.1')), 'no usernames or addresses stored in clear');
});

test('concurrent attempts on both replicas cannot slip past the shared limit', async () => {
  const [a, b] = replicas;
  const attempts = Array.from({ length: 10 }, (_, index) => signIn(index % 2 === 0 ? a : b, 'burst', 'wrong-password'));
  const statuses = (await Promise.all(attempts)).map((response) => response.status);
  assert.equal(statuses.filter((status) => status === 401).length, 4, statuses.join(' '));
  assert.equal(statuses.filter((status) => status === 429).length, 6, statuses.join(' '));
});

test('the first admin is never overwritten, and private keys never reach a log line', async () => {
  const restarted = await startAuth(replicaEnv({ AUTH_ADMIN_PASSWORD: 'a-different-password' }), started);
  await restarted.waitForLine((_line, json) => json?.['msg'] === 'first admin exists, left unchanged');
  assert.equal((await signIn(restarted, 'root', 'a-different-password')).status, 401);
  assert.equal((await signIn(restarted, 'root', FIRST_PASSWORD)).status, 200);

  const rows = (await mariadb.query('SELECT private_jwk FROM auth.signing_keys')) as { private_jwk: string | { d: string } }[];
  const privateParts = rows.map(({ private_jwk: jwk }) => (typeof jwk === 'string' ? (JSON.parse(jwk) as { d: string }) : jwk).d);
  assert.equal(privateParts.length, 2);
  for (const proc of [...replicas, restarted]) {
    const output = proc.lines().join('\n');
    for (const d of privateParts) assert.ok(!output.includes(d), 'a private key in the output');
    assert.ok(!output.includes(FIRST_PASSWORD) && !output.includes('a-different-password'), 'a password in the output');
  }
});
