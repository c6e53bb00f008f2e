import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startMariaDb, type MariaDb } from '@cinemetrics/testing';
import { Database } from '../src/mysql/database.js';
import { migrate, splitStatements } from '../src/mysql/migrate.js';
import { DependencyUnavailableError } from '../src/problem.js';
import { capturingLogger } from './support.js';

let mariadb: MariaDb;
let directory: string;
const { logger } = capturingLogger();

before(async () => {
  mariadb = await startMariaDb();
  directory = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
});

after(async () => {
  await mariadb.dispose();
  await rm(directory, { recursive: true, force: true });
});

test('statements split at line-ending semicolons; comments dropped', () => {
  assert.deepEqual(splitStatements('-- first\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\n'), [
    'CREATE TABLE a (x INT)',
    'INSERT INTO a VALUES (1)',
  ]);
});

test('creates the database, applies pending migrations once, refuses an edited one', async () => {
  await writeFile(path.join(directory, '001_create_things.sql'), 'CREATE TABLE things (id INT PRIMARY KEY);\n');
  const database = await Database.open({ url: mariadb.url, database: 'kit_migrate', poolSize: 2, logger });
  try {
    assert.equal(await migrate(database, directory, logger), 1);
    assert.equal(await migrate(database, directory, logger), 0, 'a second run applies nothing');

    await writeFile(path.join(directory, '002_seed_things.sql'), 'INSERT INTO things VALUES (1);\nINSERT INTO things VALUES (2);\n');
    assert.equal(await migrate(database, directory, logger), 1);
    const rows = await database.query('SELECT COUNT(*) AS n FROM things');
    assert.equal(Number(rows[0]?.['n']), 2);

    await writeFile(path.join(directory, '001_create_things.sql'), 'CREATE TABLE things (id BIGINT PRIMARY KEY);\n');
    await assert.rejects(migrate(database, directory, logger), /001_create_things.sql changed after it was applied/);
  } finally {
    await database.close();
  }
});

test('a database outage is a DependencyUnavailableError, and the pool recovers when the server returns', async () => {
  const database = await Database.open({ url: mariadb.url, database: 'kit_outage', poolSize: 2, logger });
  try {
    await database.ping();
    await mariadb.kill();
    await assert.rejects(database.ping(), (error: unknown) => error instanceof DependencyUnavailableError);
    await mariadb.start();
    await database.ping();
  } finally {
    await database.close();
  }
});
