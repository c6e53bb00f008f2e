import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startMariaDb, startProcess, type MariaDb } from '@cinemetrics/testing';

const MIGRATE_JS = path.resolve(__dirname, '../src/migrate.js');

async function runMigrate(args: string[], env: Record<string, string | undefined>) {
  const proc = await startProcess({ name: 'migrate', args: [MIGRATE_JS, ...args], env });
  const status = await proc.exited;
  return { status, output: proc.lines().join('\n') };
}

describe('migrate (the Kubernetes migration Jobs)', () => {
  let db: MariaDb;
  before(async () => {
    db = await startMariaDb();
  });
  after(async () => {
    await db?.dispose();
  });

  test("applies one service's migrations to its own database, and a second run finds nothing to do", async () => {
    const first = await runMigrate(['auth'], { MYSQL_URL: db.url, LOG_FORMAT: 'json' });
    assert.equal(first.status.code, 0, first.output);
    assert.match(first.output, /"database":"auth","migrations_applied":2,"msg":"database ready"/);
    const tables = (await db.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'auth'")) as { name: string }[];
    assert.ok(tables.some((table) => table.name === 'users'), JSON.stringify(tables));
    const again = await runMigrate(['auth'], { MYSQL_URL: db.url, LOG_FORMAT: 'json' });
    assert.equal(again.status.code, 0, again.output);
    assert.match(again.output, /"migrations_applied":0/);
  });

  test('an unknown service or a missing MYSQL_URL stops with exit code 2, naming what is wrong', async () => {
    const unknown = await runMigrate(['movie'], { MYSQL_URL: db.url });
    assert.equal(unknown.status.code, 2);
    assert.match(unknown.output, /one of metadata, rating, auth/);
    const noUrl = await runMigrate(['rating'], { MYSQL_URL: undefined });
    assert.equal(noUrl.status.code, 2);
    assert.match(noUrl.output, /MYSQL_URL: is required/);
  });
});
