import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { TokenSource } from '../src/identity/token-source.js';

test('a token is fetched once for concurrent callers and again before it expires; a failed fetch is retried by the next caller', async () => {
  let fetches = 0;
  let fail = false;
  const source = new TokenSource(() => {
    fetches += 1;
    if (fail) return Promise.reject(new Error('auth away'));
    return Promise.resolve({ accessToken: `token-${fetches}`, expiresInSeconds: 1 });
  });
  assert.deepEqual(await Promise.all([source.token(), source.token(), source.token()]), ['token-1', 'token-1', 'token-1']);
  assert.equal(fetches, 1);
  assert.deepEqual(await source.headers(), { authorization: 'Bearer token-1' });
  // Past 70 % of its one-second lifetime the next caller gets a new one, before the old one expires.
  await delay(800);
  fail = true;
  await assert.rejects(source.token(), /auth away/);
  fail = false;
  assert.equal(await source.token(), 'token-3');
});
