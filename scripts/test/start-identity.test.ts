import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { httpJson } from '@cinemetrics/testing';
import { freePortBase, interrupt, npmStart, READY_LINE, servicePids, STOP_TIMEOUT_MS } from './support/npm-start.js';

/** The variables a running process was started with, as the kernel keeps them. */
function environOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The password inside the banner's sign-in command for `username`. */
function printedPassword(lines: string[], username: string): string {
  const pattern = new RegExp(`"username":"${username}","password":"([^"<]+)"`);
  const found = lines.map((line) => pattern.exec(line)?.[1]).filter((password) => password !== undefined);
  assert.equal(found.length, 1, `one sign-in command for ${username}:\n${lines.join('\n')}`);
  return found[0] ?? '';
}

test('in memory: the demo user signs in with the printed password and rates; writes without a token are 401; no client secret is printed', async () => {
  const base = await freePortBase();
  const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, ADMIN_TOKEN: undefined, LOG_LEVEL: 'info' });
  try {
    await proc.waitForLine(READY_LINE, 120_000);
    const lines = proc.lines();
    assert.ok(lines.some((line) => line.includes('loaded demo data into the empty database')), lines.join('\n'));

    const demoPassword = printedPassword(lines, 'demo');
    assert.equal(lines.filter((line) => line.includes(demoPassword)).length, 1, 'the password is printed once');
    const signedIn = await httpJson('POST', `http://127.0.0.1:${base + 4}/tokens`, { username: 'demo', password: demoPassword });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const bearer = { authorization: `Bearer ${(signedIn.body as { access_token: string }).access_token}` };
    const rated = await httpJson('PUT', `http://127.0.0.1:${base + 2}/ratings/movie/tt0000001`, { value: 4 }, bearer);
    assert.ok([200, 201].includes(rated.status), JSON.stringify(rated.body));

    const adminPassword = printedPassword(lines, 'admin');
    const admin = await httpJson('POST', `http://127.0.0.1:${base + 4}/tokens`, { username: 'admin', password: adminPassword });
    const adminBearer = { authorization: `Bearer ${(admin.body as { access_token: string }).access_token}` };
    const movie = { title: 'Heat', year: 1995, director: 'Michael Mann', actors: [] };
    assert.equal((await httpJson('PUT', `http://127.0.0.1:${base + 1}/metadata/tt9999999`, movie)).status, 401);
    assert.equal((await httpJson('PUT', `http://127.0.0.1:${base + 1}/metadata/tt9999999`, movie, bearer)).status, 403);
    assert.equal((await httpJson('PUT', `http://127.0.0.1:${base + 1}/metadata/tt9999999`, movie, adminBearer)).status, 201);
    assert.equal((await httpJson('PUT', `http://127.0.0.1:${base + 2}/ratings/movie/tt0000001`, { value: 4 }, { 'x-user-id': 'alice' })).status, 401);

    // The per-run secrets, read from the processes' own environment: never in any output line.
    const pids = servicePids(proc);
    const auth = environOf(pids.get('auth') ?? 0);
    const movieEnv = environOf(pids.get('movie') ?? 0);
    const clients = JSON.parse(auth['AUTH_CLIENTS'] ?? '[]') as { clientId: string; secret: string }[];
    assert.deepEqual(clients.map((client) => client.clientId), ['movie', 'seed']);
    assert.equal(movieEnv['AUTH_CLIENT_SECRET'], clients[0]?.secret);
    const secrets = [...clients.map((client) => client.secret), auth['ADMIN_TOKEN'] ?? ''];
    for (const secret of secrets) assert.ok(secret.length >= 16 && !lines.some((line) => line.includes(secret)), 'a secret was printed');
    for (const name of ['metadata', 'rating']) {
      const env = environOf(pids.get(name) ?? 0);
      assert.deepEqual(['AUTH_CLIENTS', 'AUTH_CLIENT_SECRET', 'ADMIN_TOKEN'].filter((key) => key in env), [], `${name} gets no credential`);
    }
    // movie reads through its own client token: the combined view works.
    assert.equal((await httpJson('GET', `http://127.0.0.1:${base + 3}/movies/tt0000001`)).status, 200);

    await interrupt(proc);
    const all = proc.lines();
    for (const secret of secrets) assert.ok(!all.some((line) => line.includes(secret)), 'nothing logged a secret');
    assert.equal(all.filter((line) => line.includes(demoPassword)).length, 1, 'the service logs never carry the demo password');
    assert.equal(all.filter((line) => line.includes(adminPassword)).length, 1, 'the service logs never carry the admin password');
  } finally {
    await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
  }
});
