import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startMariaDb, startProcess, type MariaDb } from '@cinemetrics/testing';
import { Dataset } from '../src/dataset.js';

const SEED_JS = path.resolve(__dirname, '../src/seed.js');

async function runSeed(args: string[], env: Record<string, string | undefined>) {
  const proc = await startProcess({ name: 'seed', args: [SEED_JS, ...args], env });
  const status = await proc.exited;
  return { status, output: proc.lines().join('\n') };
}

/** sha256 over every data column of both tables in primary-key order. */
async function contentHash(db: MariaDb): Promise<string> {
  const hash = createHash('sha256');
  const movies = (await db.query(
    'SELECT id, title, year, description, director, actors FROM metadata.movies ORDER BY id',
  )) as Record<string, unknown>[];
  for (const row of movies) {
    const actors = typeof row['actors'] === 'string' ? (JSON.parse(row['actors']) as unknown) : row['actors'];
    hash.update(`${JSON.stringify([row['id'], row['title'], row['year'], row['description'], row['director'], actors])}\n`);
  }
  const ratings = (await db.query(
    `SELECT record_type, record_id, user_id, value, CAST(UNIX_TIMESTAMP(updated_at) * 1000 AS UNSIGNED) AS updated_at
     FROM rating.ratings ORDER BY record_type, record_id, user_id`,
  )) as Record<string, unknown>[];
  for (const row of ratings) {
    hash.update(`${JSON.stringify([row['record_type'], row['record_id'], row['user_id'], row['value'], row['updated_at']])}\n`);
  }
  return hash.digest('hex');
}

/** The same hash computed from the generator alone. */
function expectedHash(options: { seed: number; movies: number; ratings: number }): string {
  const dataset = new Dataset(options);
  const hash = createHash('sha256');
  for (const m of dataset.movies()) {
    hash.update(`${JSON.stringify([m.id, m.title, m.year, m.description, m.director, m.actors])}\n`);
  }
  for (const r of dataset.ratings()) {
    hash.update(`${JSON.stringify([r.recordType, r.recordId, r.userId, r.value, r.updatedAt.getTime()])}\n`);
  }
  return hash.digest('hex');
}

async function checksums(db: MariaDb): Promise<unknown> {
  return db.query('CHECKSUM TABLE metadata.movies, rating.ratings EXTENDED');
}

describe('seed', () => {
  let db: MariaDb;
  before(async () => {
    db = await startMariaDb();
  });
  after(async () => {
    await db?.dispose();
  });

  test('loads exactly the requested counts, matching the generator; a second run changes nothing', async () => {
    const args = ['--movies', '300', '--ratings', '3000', '--seed', '5', '--batch', '250'];
    const first = await runSeed(args, { MYSQL_URL: db.url });
    assert.deepEqual(first.status, { code: 0, signal: null }, first.output);
    assert.match(first.output, /ratings +3000\/3000 \(100\.0%\) +\d+ rows\/s/);
    assert.match(first.output, /movies +300\/300 \(100\.0%\)/);
    assert.match(first.output, /^Seeded 300 movies into metadata\.movies and 3000 ratings by \d+ users into rating\.ratings \(seed 5\)/m);

    const counts = await db.query(
      'SELECT (SELECT COUNT(*) FROM metadata.movies) AS movies, (SELECT COUNT(*) FROM rating.ratings) AS ratings',
    );
    assert.deepEqual(counts, [{ movies: 300, ratings: 3000 }]);
    const migrations = await db.query(
      'SELECT (SELECT COUNT(*) FROM metadata.schema_migrations) AS metadata, (SELECT COUNT(*) FROM rating.schema_migrations) AS rating',
    );
    assert.deepEqual(migrations, [{ metadata: 1, rating: 1 }]);

    const content = await contentHash(db);
    assert.equal(content, expectedHash({ seed: 5, movies: 300, ratings: 3000 }), 'the tables hold exactly the generated rows');
    const sums = await checksums(db);

    const second = await runSeed(args, { MYSQL_URL: db.url });
    assert.deepEqual(second.status, { code: 0, signal: null }, second.output);
    assert.match(second.output, /metadata: database ready \(0 migrations applied\)/);
    assert.deepEqual(await checksums(db), sums, 'CHECKSUM TABLE unchanged after a second run');
    assert.equal(await contentHash(db), content);

    // A different batch size writes the same rows.
    const third = await runSeed(['--movies', '300', '--ratings', '3000', '--seed', '5', '--batch', '7'], { MYSQL_URL: db.url });
    assert.deepEqual(third.status, { code: 0, signal: null }, third.output);
    assert.deepEqual(await checksums(db), sums);
  });

  test('bad options fail with a message naming the option, before touching the database', async () => {
    for (const [args, message] of [
      [['--movies', 'abc'], /--movies must be a whole number \(got "abc"\)/],
      [['--batch', '0'], /--batch must be from 1 to 10000 \(got "0"\)/],
      [['--ratings', '-5'], /--ratings/],
      [['--moovies', '5'], /Unknown option '--moovies'/],
    ] as const) {
      const result = await runSeed([...args], { MYSQL_URL: db.url });
      assert.deepEqual(result.status, { code: 2, signal: null }, result.output);
      assert.match(result.output, message);
      assert.match(result.output, /Usage: npm run seed/);
    }
    const tooMany = await runSeed(['--movies', '1', '--ratings', '20000001'], { MYSQL_URL: db.url });
    assert.equal(tooMany.status.code, 2);
    assert.match(tooMany.output, /--ratings must be from 0 to 20000000/);
  });

  test('a missing or malformed MYSQL_URL is named', async () => {
    const missing = await runSeed(['--movies', '5'], { MYSQL_URL: undefined });
    assert.deepEqual(missing.status, { code: 2, signal: null });
    assert.match(missing.output, /MYSQL_URL: is required/);
    const malformed = await runSeed(['--movies', '5'], { MYSQL_URL: 'postgres://x@localhost' });
    assert.equal(malformed.status.code, 2);
    assert.match(malformed.output, /MYSQL_URL: must be a URL like mysql:\/\//);
  });
});
