import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { cacheRoot } from '@cinemetrics/stack';
import { startMariaDb, type MariaDb } from '../src/index.js';

let db: MariaDb;

before(async () => {
  db = await startMariaDb();
});

after(async () => {
  await db?.dispose();
});

/** Connects over TCP with the URL services get, proving the app user works. */
async function selectTitlesViaUrl(): Promise<string[]> {
  const connection = await createConnection({ uri: db.url, connectTimeout: 2_000 });
  try {
    const [rows] = await connection.query('SELECT title FROM cinemetrics_test.movies ORDER BY id');
    return (rows as { title: string }[]).map((row) => row.title);
  } finally {
    await connection.end();
  }
}

test('starts on a loopback port and exposes a URL for the app user', () => {
  assert.equal(db.running, true);
  assert.equal(db.host, '127.0.0.1');
  assert.ok(db.port > 0);
  assert.match(db.url, new RegExp(`^mysql://cinemetrics:[0-9a-f]+@127\\.0\\.0\\.1:${db.port}$`));
});

test('query creates a table and inserts rows, visible to the app user', async () => {
  await db.query('CREATE DATABASE cinemetrics_test');
  await db.query('CREATE TABLE cinemetrics_test.movies (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL)');
  await db.query('INSERT INTO cinemetrics_test.movies (id, title) VALUES (?, ?), (?, ?)', [1, 'Alien', 2, 'Heat']);
  assert.deepEqual(await selectTitlesViaUrl(), ['Alien', 'Heat']);
});

test('kill() makes connections fail and start() brings the same data back', async () => {
  const port = db.port;
  await db.kill();
  assert.equal(db.running, false);
  await assert.rejects(selectTitlesViaUrl());
  await assert.rejects(db.query('SELECT 1'), /not running/);

  await db.start();
  assert.equal(db.running, true);
  assert.equal(db.port, port);
  assert.deepEqual(await selectTitlesViaUrl(), ['Alien', 'Heat']);
});

test('stop() shuts down gracefully and start() restarts', async () => {
  await db.stop();
  assert.equal(db.running, false);
  await db.start();
  assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM cinemetrics_test.movies'), [{ n: 2 }]);
});

test('every server starts from its own copy of one installed datadir: what one stores, another never sees', async () => {
  const other = await startMariaDb();
  try {
    assert.deepEqual(await other.query("SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = 'cinemetrics_test'"), [{ n: 0 }]);
    await other.query('CREATE DATABASE only_in_other');
    assert.deepEqual(await db.query("SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = 'only_in_other'"), [{ n: 0 }]);
    const templates = path.join(cacheRoot(), 'mariadb-datadir');
    assert.ok(readdirSync(templates).some((name) => !name.startsWith('.')), `an installed datadir in ${templates}`);
    for (const name of readdirSync(templates)) assert.equal(existsSync(path.join(templates, name, 'only_in_other')), false, 'the template is never written to');
  } finally {
    await other.dispose();
  }
});

test('dispose() stops the server and removes the temporary directory', async () => {
  const dir = db.dir;
  assert.ok(existsSync(dir));
  await db.dispose();
  assert.equal(db.running, false);
  assert.equal(existsSync(dir), false);
  await assert.rejects(db.start(), /disposed/);
});
