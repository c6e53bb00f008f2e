import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheRequests, ReadThroughCache } from '../src/index.js';

async function lookups(cache: string): Promise<Record<string, number>> {
  const { values } = await cacheRequests.get();
  return Object.fromEntries(values.filter((value) => value.labels.cache === cache).map((value) => [String(value.labels.result), value.value]));
}

/** A loader that counts its calls and answers `<key>#<call>`. */
function countingLoader(): { load: (key: string) => () => Promise<string>; calls: () => number } {
  let calls = 0;
  return { load: (key) => () => Promise.resolve(`${key}#${++calls}`), calls: () => calls };
}

test('beyond maxEntries the least recently used entry goes', async () => {
  const cache = new ReadThroughCache<string>({ name: 'test-lru', maxEntries: 2, ttlMs: 60_000 });
  const { load, calls } = countingLoader();
  await cache.get('a', load('a'));
  await cache.get('b', load('b'));
  assert.equal(await cache.get('a', load('a')), 'a#1', 'a is now the most recently used');
  await cache.get('c', load('c'));
  assert.equal(await cache.get('a', load('a')), 'a#1');
  assert.equal(await cache.get('c', load('c')), 'c#3');
  assert.equal(calls(), 3);
  assert.equal(await cache.get('b', load('b')), 'b#4', 'b was the least recently used, so it was loaded again');
  assert.equal(cache.size, 2);
});

test('an entry older than the TTL is a miss and is loaded again', async () => {
  let now = 5_000;
  const cache = new ReadThroughCache<string>({ name: 'test-ttl', maxEntries: 10, ttlMs: 1_000, now: () => now });
  const { load } = countingLoader();
  assert.equal(await cache.get('k', load('k')), 'k#1');
  now = 6_000;
  assert.equal(await cache.get('k', load('k')), 'k#1', 'exactly the TTL old is still fresh');
  now = 6_001;
  assert.equal(await cache.get('k', load('k')), 'k#2');
  assert.deepEqual(await lookups('test-ttl'), { hit: 1, miss: 2 });
});

test('0 entries or 0 ms turns it off: every lookup loads', async () => {
  for (const [index, options] of [{ maxEntries: 0, ttlMs: 1_000 }, { maxEntries: 10, ttlMs: 0 }].entries()) {
    const cache = new ReadThroughCache<string>({ name: `test-off-${index}`, ...options });
    const { load } = countingLoader();
    await cache.get('k', load('k'));
    assert.equal(await cache.get('k', load('k')), 'k#2');
    assert.equal(cache.enabled, false);
  }
  assert.throws(() => new ReadThroughCache({ name: 'test-bad', maxEntries: -1, ttlMs: 1 }), RangeError);
});

test('read-through: a miss loads and keeps, a hit does not load; both are counted', async () => {
  const cache = new ReadThroughCache<{ n: number }>({ name: 'test-rt', maxEntries: 10, ttlMs: 60_000 });
  assert.deepEqual(await lookups('test-rt'), { hit: 0, miss: 0 }, 'both series exist from the start');
  let loads = 0;
  const load = () => Promise.resolve({ n: ++loads });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.deepEqual(await cache.get('x', load), { n: 1 });
  assert.equal(loads, 1);
  assert.deepEqual(await lookups('test-rt'), { hit: 2, miss: 1 });
});

test('read-through: failures are not kept, so the next lookup tries again', async () => {
  const cache = new ReadThroughCache<string>({ name: 'test-fail', maxEntries: 10, ttlMs: 60_000 });
  await assert.rejects(cache.get('x', async () => Promise.reject(new Error('down'))), /down/);
  assert.equal(await cache.get('x', () => Promise.resolve('back')), 'back');
  assert.deepEqual(await lookups('test-fail'), { hit: 0, miss: 2 });
});
