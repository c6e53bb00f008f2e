import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheRequests, LruCache, ReadThroughCache } from '../src/index.js';

async function lookups(cache: string): Promise<Record<string, number>> {
  const { values } = await cacheRequests.get();
  return Object.fromEntries(values.filter((value) => value.labels.cache === cache).map((value) => [String(value.labels.result), value.value]));
}

test('LRU: beyond maxEntries the least recently used entry goes', () => {
  const cache = new LruCache<number>({ maxEntries: 2, ttlMs: 60_000 });
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // a is now the most recently used
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined, 'b was the least recently used');
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  assert.equal(cache.size, 2);
});

test('LRU: an entry older than the TTL is a miss and is dropped', () => {
  let now = 0;
  const cache = new LruCache<string>({ maxEntries: 10, ttlMs: 1_000, now: () => now });
  cache.set('k', 'v');
  now = 999;
  assert.equal(cache.get('k'), 'v');
  now = 1_000;
  assert.equal(cache.get('k'), undefined);
  assert.equal(cache.size, 0);
});

test('LRU: 0 entries or 0 ms turns it off', () => {
  for (const options of [{ maxEntries: 0, ttlMs: 1_000 }, { maxEntries: 10, ttlMs: 0 }]) {
    const cache = new LruCache<string>(options);
    cache.set('k', 'v');
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.enabled, false);
  }
  assert.throws(() => new LruCache({ maxEntries: -1, ttlMs: 1 }), RangeError);
});

test('read-through: a miss loads and keeps, a hit does not load; both are counted', async () => {
  const cache = new ReadThroughCache<{ n: number }>({ name: 'test-rt', maxEntries: 10, ttlMs: 60_000 });
  assert.deepEqual(await lookups('test-rt'), { hit: 0, miss: 0 }, 'both series exist from the start');
  let loads = 0;
  const load = async () => ({ n: ++loads });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.equal(loads, 1);
  assert.deepEqual(await lookups('test-rt'), { hit: 2, miss: 1 });
});

test('read-through: failures are not kept, so the next lookup tries again', async () => {
  const cache = new ReadThroughCache<string>({ name: 'test-fail', maxEntries: 10, ttlMs: 60_000 });
  await assert.rejects(cache.get('x', async () => Promise.reject(new Error('down'))), /down/);
  assert.equal(await cache.get('x', async () => 'back'), 'back');
  assert.deepEqual(await lookups('test-fail'), { hit: 0, miss: 2 });
});
