import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger, Database, migrate } from '@cinemetrics/kit';
import { startMariaDb, type MariaDb } from '@cinemetrics/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { MemoryRatingRepository } from '../src/repository/memory.js';
import { MysqlRatingRepository, SUMMARY_SQL } from '../src/repository/mysql.js';
import type { RatingRepository } from '../src/repository/repository.js';

const MIGRATIONS = path.resolve(__dirname, '../../migrations');
const logger = createLogger({ service: 'rating-test', level: 'silent' });

interface Implementation {
  name: string;
  /** Called once before the suite. */
  setUp(): Promise<void>;
  /** A repository over an empty store; called before every test. */
  fresh(): Promise<RatingRepository>;
  tearDown(): Promise<void>;
}

const memory: Implementation = {
  name: 'MemoryRatingRepository',
  setUp: () => Promise.resolve(),
  fresh: () => Promise.resolve(new MemoryRatingRepository()),
  tearDown: () => Promise.resolve(),
};

let mariaDb: MariaDb | undefined;
let database: Database | undefined;
const mysql: Implementation = {
  name: 'MysqlRatingRepository',
  async setUp() {
    mariaDb = await startMariaDb();
    database = await Database.open({ url: mariaDb.url, database: 'rating', poolSize: 4, logger });
    await migrate(database, MIGRATIONS, logger);
  },
  async fresh() {
    assert.ok(database);
    await database.execute('DELETE FROM ratings');
    return new MysqlRatingRepository(database);
  },
  async tearDown() {
    await database?.close();
    await mariaDb?.dispose();
  },
};

const movie = { recordType: 'movie', recordId: 'tt0078748' };

for (const implementation of [memory, mysql]) {
  describe(implementation.name, () => {
    let repository: RatingRepository;
    before(() => implementation.setUp());
    after(() => implementation.tearDown());
    beforeEach(async () => {
      repository = await implementation.fresh();
    });

    test('a record without ratings has no summary', async () => {
      assert.equal(await repository.summarize(movie), undefined);
    });

    test('put creates, then replaces; re-putting the same value is a replace too', async () => {
      assert.equal(await repository.put({ ...movie, userId: 'alice', value: 3 }), 'created');
      assert.equal(await repository.put({ ...movie, userId: 'alice', value: 4 }), 'replaced');
      assert.equal(await repository.put({ ...movie, userId: 'alice', value: 4 }), 'replaced');
      assert.deepEqual(await repository.summarize(movie), { average: 4, count: 1 });
    });

    test('the first rating by another user is created, not replaced', async () => {
      await repository.put({ ...movie, userId: 'alice', value: 3 });
      assert.equal(await repository.put({ ...movie, userId: 'bob', value: 3 }), 'created');
      assert.equal(await repository.put({ ...movie, userId: 'bob', value: 3 }), 'replaced');
    });

    test('the average is a JS number equal to the exact mean', async () => {
      await repository.put({ ...movie, userId: 'a', value: 1 });
      await repository.put({ ...movie, userId: 'b', value: 2 });
      await repository.put({ ...movie, userId: 'c', value: 2 });
      const summary = await repository.summarize(movie);
      assert.equal(typeof summary?.average, 'number');
      assert.equal(typeof summary?.count, 'number');
      assert.deepEqual(summary, { average: 5 / 3, count: 3 });
    });

    test('the average over many users', async () => {
      let total = 0;
      for (let i = 0; i < 60; i += 1) {
        const value = (i % 5) + 1;
        total += value;
        await repository.put({ ...movie, userId: `user-${i}`, value });
      }
      assert.deepEqual(await repository.summarize(movie), { average: total / 60, count: 60 });
    });

    test('keys compare by bytes: ids and user ids that differ only in case are distinct', async () => {
      await repository.put({ recordType: 'movie', recordId: 'a', userId: 'u', value: 1 });
      await repository.put({ recordType: 'movie', recordId: 'a', userId: 'U', value: 5 });
      await repository.put({ recordType: 'movie', recordId: 'A', userId: 'u', value: 4 });
      assert.deepEqual(await repository.summarize({ recordType: 'movie', recordId: 'a' }), { average: 3, count: 2 });
      assert.deepEqual(await repository.summarize({ recordType: 'movie', recordId: 'A' }), { average: 4, count: 1 });
    });

    test('records whose ids share a prefix, or whose types differ, are separate', async () => {
      await repository.put({ recordType: 'movie', recordId: 'a', userId: 'u', value: 1 });
      await repository.put({ recordType: 'movie', recordId: 'a.b', userId: 'u', value: 2 });
      await repository.put({ recordType: 'movie', recordId: 'a_b', userId: 'u', value: 3 });
      await repository.put({ recordType: 'actor', recordId: 'a', userId: 'u', value: 5 });
      assert.deepEqual(await repository.summarize({ recordType: 'movie', recordId: 'a' }), { average: 1, count: 1 });
      assert.deepEqual(await repository.summarize({ recordType: 'movie', recordId: 'a.b' }), { average: 2, count: 1 });
      assert.deepEqual(await repository.summarize({ recordType: 'movie', recordId: 'a_b' }), { average: 3, count: 1 });
      assert.deepEqual(await repository.summarize({ recordType: 'actor', recordId: 'a' }), { average: 5, count: 1 });
      assert.equal(await repository.summarize({ recordType: 'movie', recordId: 'a%' }), undefined);
    });

    test('the longest keys the model allows round-trip', async () => {
      const key = { recordType: `t${'x'.repeat(31)}`, recordId: `R${'9'.repeat(63)}` };
      const userId = `@${'u'.repeat(63)}`;
      assert.equal(await repository.put({ ...key, userId, value: 2 }), 'created');
      assert.equal(await repository.put({ ...key, userId, value: 5 }), 'replaced');
      assert.deepEqual(await repository.summarize(key), { average: 5, count: 1 });
      assert.equal(await repository.delete(key, userId), true);
    });

    test("delete removes only that user's rating and reports whether there was one", async () => {
      await repository.put({ ...movie, userId: 'alice', value: 5 });
      await repository.put({ ...movie, userId: 'bob', value: 2 });
      assert.equal(await repository.delete(movie, 'carol'), false);
      assert.equal(await repository.delete(movie, 'ALICE'), false);
      assert.equal(await repository.delete({ recordType: 'actor', recordId: movie.recordId }, 'alice'), false);
      assert.equal(await repository.delete(movie, 'alice'), true);
      assert.equal(await repository.delete(movie, 'alice'), false);
      assert.deepEqual(await repository.summarize(movie), { average: 2, count: 1 });
      assert.equal(await repository.delete(movie, 'bob'), true);
      assert.equal(await repository.summarize(movie), undefined);
    });

    test('ids are matched literally, never as patterns', async () => {
      await repository.put({ ...movie, userId: 'a.c', value: 2 });
      await repository.put({ ...movie, userId: 'abc', value: 4 });
      assert.equal(await repository.delete(movie, 'a_c'), false);
      assert.equal(await repository.delete(movie, 'a%'), false);
      assert.deepEqual(await repository.summarize(movie), { average: 3, count: 2 });
    });

    test('a deleted rating can be created again', async () => {
      await repository.put({ ...movie, userId: 'alice', value: 5 });
      await repository.delete(movie, 'alice');
      assert.equal(await repository.put({ ...movie, userId: 'alice', value: 1 }), 'created');
      assert.deepEqual(await repository.summarize(movie), { average: 1, count: 1 });
    });

    test('concurrent puts by different users all count', async () => {
      const outcomes = await Promise.all(
        [1, 2, 3, 4, 5, 5, 4, 3].map((value, i) => repository.put({ ...movie, userId: `u${i}`, value })),
      );
      assert.deepEqual(outcomes, Array(8).fill('created'));
      assert.deepEqual(await repository.summarize(movie), { average: 27 / 8, count: 8 });
    });

    if (implementation === mysql) {
      test('the aggregate query reads a range of the primary key, not the whole table', async () => {
        assert.ok(database);
        const [plan] = await database.query<RowDataPacket>(`EXPLAIN ${SUMMARY_SQL}`, ['movie', 'tt1']);
        assert.equal(plan?.['key'], 'PRIMARY', JSON.stringify(plan));
        assert.equal(plan?.['type'], 'ref', JSON.stringify(plan));
      });
    }
  });
}
