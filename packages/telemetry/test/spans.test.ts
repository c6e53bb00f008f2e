import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traced } from '../src/spans.js';

class Store {
  constructor(private readonly prefix: string) {}
  get(id: string): Promise<string> {
    return Promise.resolve(`${this.prefix}${id}`);
  }
  name(): string {
    return this.prefix;
  }
}

test('traced wraps each described method once, not on every call, and calls it on its object', async () => {
  const store = traced(new Store('movie-'), 'Repository', { get: ([id]) => ({ 'movie.id': id }) });
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compares the wrappers themselves, never calls them
  assert.equal(store.get, store.get, 'the same wrapper on every access');
  assert.equal(await store.get('tt1'), 'movie-tt1');
  assert.equal(store.name(), 'movie-', 'methods it does not describe are the object\'s own');
  const replaced = (id: string): Promise<string> => Promise.resolve(`replaced-${id}`);
  (store as { get: (id: string) => Promise<string> }).get = replaced;
  assert.equal(await store.get('tt2'), 'replaced-tt2', 'a replaced method is wrapped afresh');
});
