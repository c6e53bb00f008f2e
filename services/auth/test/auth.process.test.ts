import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { httpJson, startMariaDb, startService, type MariaDb, type StartedService } from '@cinemetrics/testing';
import { DEFAULT_SCRYPT } from '../src/secrets.js';

/** The compiled auth service as deployed (telemetry preload included), against a real MariaDB. */

let mariadb: MariaDb;
const started: StartedService[] = [];

/** Starts auth on free ports and waits until it is ready. */
async function startAuth(env: Record<string, string | undefined>): Promise<{ proc: StartedService; url: string }> {
  const proc = await startService('auth', { env: { NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ...env } });
  started.push(proc);
  return { proc, url: proc.url };
}

interface Health {
  status: string;
  checks: Record<string, { status: string; critical: boolean }>;
}

before(async () => {
  mariadb = await startMariaDb();
});

after(async () => {
  await Promise.all(started.map((proc) => proc.stop('SIGTERM', 5_000)));
  await mariadb?.dispose();
});

test('with MYSQL_URL: creates the auth database, applies the migration, readiness reports the database', async () => {
  const { proc, url } = await startAuth({ MYSQL_URL: mariadb.url });
  await proc.waitForLine((_line, json) => json?.['msg'] === 'database ready' && json['migrations_applied'] === 2);
  const health = await httpJson('GET', `${url}/.well-known/health`);
  assert.equal(health.status, 200, JSON.stringify(health.body));
  const body = health.body as Health;
  assert.equal(body.status, 'ok');
  assert.equal(body.checks['database']?.status, 'up');
  assert.equal(body.checks['database']?.critical, true);
  await proc.stop();
});

test('the tables exist with their keys', async () => {
  const tables = (await mariadb.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'auth' ORDER BY table_name",
  )) as { name: string }[];
  assert.deepEqual(
    tables.map((table) => table.name),
    ['clients', 'schema_migrations', 'signing_keys', 'signin_failures', 'users'],
  );

  const columns = (await mariadb.query(
    `SELECT table_name AS tableName, column_name AS name, is_nullable AS nullable, column_key AS columnKey
       FROM information_schema.columns WHERE table_schema = 'auth' AND table_name <> 'schema_migrations'
       ORDER BY table_name, ordinal_position`,
  )) as { tableName: string; name: string; nullable: string; columnKey: string }[];
  const describe = (table: string) =>
    columns.filter((column) => column.tableName === table).map((c) => `${c.name}${c.columnKey ? ` ${c.columnKey}` : ''}${c.nullable === 'YES' ? ' NULL' : ''}`);
  assert.deepEqual(describe('users'), ['id PRI', 'username UNI', 'password_hash', 'roles', 'created_at']);
  assert.deepEqual(describe('clients'), ['client_id PRI', 'secret_hash', 'roles', 'created_at']);
  assert.deepEqual(describe('signing_keys'), ['kid PRI', 'algorithm', 'public_jwk', 'private_jwk', 'created_at', 'retired_at NULL']);
  assert.deepEqual(describe('signin_failures'), ['key PRI', 'points', 'expire NULL']);

  const migrations = await mariadb.query('SELECT version, name FROM auth.schema_migrations ORDER BY version');
  assert.deepEqual(migrations, [
    { version: 1, name: 'create_users_clients' },
    { version: 2, name: 'create_signin_failures' },
  ]);
});

test('new hashes cost AUTH_SCRYPT_N; a hash made at another cost still signs in after a restart with the default', async () => {
  const admin = { AUTH_ADMIN_USERNAME: 'cost-admin', AUTH_ADMIN_PASSWORD: 'a long enough password' };
  const hashOf = async (username: string): Promise<string> => {
    const rows = (await mariadb.query('SELECT password_hash AS hash FROM auth.users WHERE username = ?', [username])) as { hash: string }[];
    return rows[0]?.hash ?? '';
  };
  const cheap = await startAuth({ MYSQL_URL: mariadb.url, AUTH_SCRYPT_N: '2048', ...admin });
  assert.match(await hashOf('cost-admin'), new RegExp(`^scrypt\\$2048\\$8\\$${DEFAULT_SCRYPT.p}\\$`));
  await cheap.proc.stop();

  const { proc, url } = await startAuth({ MYSQL_URL: mariadb.url, AUTH_SCRYPT_N: undefined, ADMIN_TOKEN: 'a-static-admin-token-for-this-test' });
  const signIn = await httpJson('POST', `${url}/tokens`, { username: 'cost-admin', password: admin.AUTH_ADMIN_PASSWORD });
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
  const created = await httpJson('POST', `${proc.adminUrl}/admin/users`, { username: 'cost-user', password: 'another long password', roles: [] }, {
    authorization: 'Bearer a-static-admin-token-for-this-test',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.match(await hashOf('cost-user'), new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$8\\$${DEFAULT_SCRYPT.p}\\$`));
  await proc.stop();
});

test('a restart applies nothing twice', async () => {
  const { proc } = await startAuth({ MYSQL_URL: mariadb.url });
  await proc.waitForLine((_line, json) => json?.['msg'] === 'database ready' && json['migrations_applied'] === 0);
  await proc.stop();
});

test('readiness turns 503 when the database goes away', async () => {
  const { url } = await startAuth({ MYSQL_URL: mariadb.url });
  assert.equal((await httpJson('GET', `${url}/.well-known/health`)).status, 200);
  await mariadb.kill();
  try {
    const health = await httpJson('GET', `${url}/.well-known/health`);
    assert.equal(health.status, 503);
    assert.equal((health.body as Health).checks['database']?.status, 'down');
  } finally {
    await mariadb.start();
  }
});

test('without MYSQL_URL: the in-memory store, said loudly, and no database check', async () => {
  const { proc, url } = await startAuth({ MYSQL_URL: undefined });
  await proc.waitForLine((_line, json) => json?.['level'] === 'warn' && json['store'] === 'memory');
  const health = await httpJson('GET', `${url}/.well-known/health`);
  assert.equal(health.status, 200);
  assert.deepEqual((health.body as Health).checks, {});
});

test('the service describes its token and discovery routes', async () => {
  const { url } = await startAuth({ MYSQL_URL: undefined });
  const openapi = await httpJson('GET', `${url}/openapi.json`);
  const document = openapi.body as { info: { title: string }; paths: Record<string, unknown> };
  assert.equal(document.info.title, 'auth API');
  assert.deepEqual(Object.keys(document.paths).sort(), [
    '/.well-known/alive',
    '/.well-known/health',
    '/.well-known/jwks.json',
    '/.well-known/openid-configuration',
    '/oauth/token',
    '/openapi.json',
    '/tokens',
  ]);
});

/** The most resident memory the process has had so far (Linux), in bytes. */
function residentHighWater(pid: number): number {
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kib !== undefined, `no VmHWM for ${pid}`);
  return Number(kib) * 1024;
}

test('a burst of sign-ins at the default cost is checked two at a time: the memory scrypt holds stays bounded, every answer is the right one', async () => {
  // A budget long enough for the whole burst on a loaded machine: what a request whose budget runs out
  // while it waits is answered is tested in bounded-hasher.test.ts.
  const { proc, url } = await startAuth({ AUTH_SCRYPT_N: undefined, AUTH_HASH_CONCURRENCY: undefined, SIGNIN_MAX_FAILURES_PER_ADDRESS: '100', REQUEST_DEADLINE_MS: '60000' });
  const signIn = (username: string) => httpJson('POST', `${url}/tokens`, { username, password: 'not the password' });
  // Two checks at once, each holding a hash's memory: the high-water mark after them is the bound.
  assert.deepEqual((await Promise.all([signIn('warm-1'), signIn('warm-2')])).map((answer) => answer.status), [401, 401]);
  const bounded = residentHighWater(proc.pid);
  const burst = await Promise.all(Array.from({ length: 12 }, (_, index) => signIn(`burst-${index}`)));
  assert.deepEqual(new Set(burst.map((answer) => answer.status)), new Set([401]), JSON.stringify(burst.map((answer) => answer.body)));
  const hashMemory = 128 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r;
  // Unbounded, libuv's four threads would hold four hashes' memory at once: two more than the bound.
  const grown = residentHighWater(proc.pid) - bounded;
  assert.ok(grown < 1.5 * hashMemory, `the high-water mark grew by ${(grown / 2 ** 20).toFixed(0)} MiB during the burst`);
  await proc.stop();
});
