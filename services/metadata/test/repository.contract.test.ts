import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger, Database, migrate } from '@cinemetrics/kit';
import { startMariaDb, type MariaDb } from '@cinemetrics/testing';
import type { Metadata } from '../src/model.js';
import { MemoryMetadataRepository } from '../src/repository/memory.js';
import { MysqlMetadataRepository } from '../src/repository/mysql.js';
import type { MetadataRepository } from '../src/repository/repository.js';

const MIGRATIONS = path.resolve(__dirname, '../../migrations');
const logger = createLogger({ service: 'metadata-test', level: 'silent' });

interface Implementation {
  name: string;
  /** Called once before the suite. */
  setUp(): Promise<void>;
  /** A repository over an empty store; called before every test. */
  fresh(): Promise<MetadataRepository>;
  tearDown(): Promise<void>;
}

const memory: Implementation = {
  name: 'MemoryMetadataRepository',
  setUp: () => Promise.resolve(),
  fresh: () => Promise.resolve(new MemoryMetadataRepository()),
  tearDown: () => Promise.resolve(),
};

let mariaDb: MariaDb | undefined;
let database: Database | undefined;
const mysql: Implementation = {
  name: 'MysqlMetadataRepository',
  async setUp() {
    mariaDb = await startMariaDb();
    database = await Database.open({ url: mariaDb.url, database: 'metadata', poolSize: 4, logger });
    await migrate(database, MIGRATIONS, logger);
  },
  async fresh() {
    assert.ok(database);
    await database.execute('DELETE FROM movies');
    return new MysqlMetadataRepository(database);
  },
  async tearDown() {
    await database?.close();
    await mariaDb?.dispose();
  },
};

function movie(id: string, fields: Partial<Metadata> = {}): Metadata {
  return { id, title: `Title of ${id}`, year: null, description: '', director: '', actors: [], ...fields };
}

const heat = movie('tt0113277', {
  title: 'Heat',
  year: 1995,
  description: 'A group of professional bank robbers\nstart to feel the heat.',
  director: 'Michael Mann',
  actors: ['Al Pacino', 'Robert De Niro', 'Val Kilmer'],
});

/** Deliberately out of order; binary order is 0 < A < B < Z < a < a-b < a.b < a_b < b. */
const MIXED_IDS = ['b', 'a.b', 'A', 'a_b', 'Z', 'a', '0', 'a-b', 'B'];
const BINARY_ORDER = ['0', 'A', 'B', 'Z', 'a', 'a-b', 'a.b', 'a_b', 'b'];

for (const implementation of [memory, mysql]) {
  describe(implementation.name, () => {
    let repository: MetadataRepository;
    before(() => implementation.setUp());
    after(() => implementation.tearDown());
    beforeEach(async () => {
      repository = await implementation.fresh();
    });

    const listIds = async (limit: number, afterId?: string) =>
      (await repository.list({ limit, ...(afterId === undefined ? {} : { afterId }) })).map((record) => record.id);

    test('get of an unknown id is undefined', async () => {
      assert.equal(await repository.get('tt0000000'), undefined);
    });

    test('put creates, then replaces; an identical put is a replace too', async () => {
      assert.equal(await repository.put(heat), 'created');
      assert.equal(await repository.put({ ...heat, title: 'Heat (1995)' }), 'replaced');
      assert.equal(await repository.put({ ...heat, title: 'Heat (1995)' }), 'replaced');
      assert.deepEqual(await repository.get(heat.id), { ...heat, title: 'Heat (1995)' });
    });

    test('get returns exactly what was put', async () => {
      await repository.put(heat);
      assert.deepEqual(await repository.get(heat.id), heat);
      const bare = movie('tt0000001');
      await repository.put(bare);
      assert.deepEqual(await repository.get(bare.id), bare);
    });

    test('a replace overwrites every field, including emptying actors and unsetting year', async () => {
      await repository.put(heat);
      const replacement = movie(heat.id, { title: 'Heat' });
      assert.equal(await repository.put(replacement), 'replaced');
      assert.deepEqual(await repository.get(heat.id), replacement);
    });

    test('actors round-trip in order, with duplicates and characters JSON must escape', async () => {
      const actors = ['Zoë Saldaña', 'Jet Li (李连杰)', "Conan O'Brien", 'Dwayne "The Rock" Johnson', 'back\\slash', 'tab\there', 'Jet Li (李连杰)', '🎭 Emoji'];
      await repository.put(movie('cast', { actors }));
      assert.deepEqual((await repository.get('cast'))?.actors, actors);
    });

    test('unicode titles, descriptions and directors round-trip unchanged', async () => {
      const records = [
        movie('u1', { title: 'Amélie', director: 'Jean-Pierre Jeunet' }),
        movie('u2', { title: '千と千尋の神隠し', director: '宮崎駿' }),
        movie('u3', { title: '🎬🍿 𝒳 — four-byte characters', description: '🦖'.repeat(2500) }),
        movie('u4', { title: 'Ame\u0301lie (decomposed, not normalised)' }),
        movie('u5', { title: 'القاهرة 30', director: 'صلاح أبو سيف' }),
        movie('u6', { title: 'é'.repeat(255), description: '界'.repeat(10_000) }),
      ];
      for (const record of records) assert.equal(await repository.put(record), 'created');
      for (const record of records) assert.deepEqual(await repository.get(record.id), record, record.id);
    });

    test('ids that differ only in case are different records', async () => {
      await repository.put(movie('a', { title: 'lower' }));
      assert.equal(await repository.put(movie('A', { title: 'upper' })), 'created');
      assert.equal((await repository.get('a'))?.title, 'lower');
      assert.equal((await repository.get('A'))?.title, 'upper');
      assert.equal(await repository.get('a.b'), undefined);
    });

    test('the longest id the model allows round-trips', async () => {
      const id = `t${'x'.repeat(63)}`;
      await repository.put(movie(id));
      assert.deepEqual(await repository.get(id), movie(id));
    });

    test('changing a returned or stored object does not change the store', async () => {
      const record = movie('copy', { actors: ['One'] });
      await repository.put(record);
      record.actors.push('Two');
      const fetched = await repository.get('copy');
      assert.deepEqual(fetched?.actors, ['One']);
      fetched?.actors.push('Three');
      assert.deepEqual((await repository.get('copy'))?.actors, ['One']);
    });

    test('list of an empty store is empty', async () => {
      assert.deepEqual(await repository.list({ limit: 10 }), []);
      assert.deepEqual(await repository.list({ limit: 10, afterId: 'a' }), []);
    });

    test('list returns whole records in binary id order', async () => {
      for (const id of MIXED_IDS) await repository.put(movie(id));
      assert.deepEqual(await listIds(100), BINARY_ORDER);
      assert.deepEqual(await repository.list({ limit: 2 }), [movie('0'), movie('A')]);
    });

    test('list honours the limit', async () => {
      for (const id of MIXED_IDS) await repository.put(movie(id));
      assert.deepEqual(await listIds(1), ['0']);
      assert.deepEqual(await listIds(4), ['0', 'A', 'B', 'Z']);
      assert.deepEqual(await listIds(9), BINARY_ORDER);
    });

    test('afterId starts strictly after that id, comparing bytes not letters', async () => {
      for (const id of MIXED_IDS) await repository.put(movie(id));
      assert.deepEqual(await listIds(3, 'A'), ['B', 'Z', 'a'], "'a' is not equal to 'A'");
      assert.deepEqual(await listIds(3, 'Z'), ['a', 'a-b', 'a.b']);
      assert.deepEqual(await listIds(3, 'a'), ['a-b', 'a.b', 'a_b']);
      assert.deepEqual(await listIds(3, 'a.b'), ['a_b', 'b']);
      assert.deepEqual(await listIds(3, 'b'), []);
    });

    test('afterId need not exist: the page starts at the next id that does', async () => {
      for (const id of MIXED_IDS) await repository.put(movie(id));
      assert.deepEqual(await listIds(2, '-'), ['0', 'A'], "'-' sorts before every id");
      assert.deepEqual(await listIds(2, 'AA'), ['B', 'Z']);
      assert.deepEqual(await listIds(2, 'a0'), ['a_b', 'b'], "'0' sorts between '.' and '_'");
      assert.deepEqual(await listIds(2, 'zzz'), []);
    });

    test('walking pages by afterId visits every record once, including ones added behind the cursor', async () => {
      for (const id of MIXED_IDS) await repository.put(movie(id));
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let pages = 0; pages < 20; pages += 1) {
        const page = await listIds(2, afterId);
        if (page.length === 0) break;
        seen.push(...page);
        afterId = page.at(-1);
        if (afterId === 'a') await repository.put(movie('1'));
      }
      assert.deepEqual(seen, BINARY_ORDER, 'a record added before the cursor is not seen, none is seen twice');
    });
  });
}
