import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '@cinemetrics/kit';
import { movieEnvSchema } from '../src/config.js';

test('defaults: ports 8083/8093, downstreams on loopback, 1 s timeout', () => {
  const env = loadConfig(movieEnvSchema, {});
  assert.equal(env.PORT, 8083);
  assert.equal(env.ADMIN_PORT, 8093);
  assert.equal(env.METADATA_URL, 'http://127.0.0.1:8081');
  assert.equal(env.RATING_URL, 'http://127.0.0.1:8082');
  assert.equal(env.DOWNSTREAM_TIMEOUT_MS, 1000);
});

test('defaults: a 1 s request budget, the kit\'s retry and breaker policy, a 10 000-entry 30 s metadata cache', () => {
  const env = loadConfig(movieEnvSchema, {});
  assert.equal(env.REQUEST_DEADLINE_MS, 1000);
  assert.equal(env.DOWNSTREAM_MAX_ATTEMPTS, 3);
  assert.equal(env.DOWNSTREAM_BREAKER_MIN_CALLS, 5);
  assert.equal(env.METADATA_CACHE_MAX_ENTRIES, 10_000);
  assert.equal(env.METADATA_CACHE_TTL_MS, 30_000);
});

test('URLs are accepted with http and https and lose their trailing slash', () => {
  const env = loadConfig(movieEnvSchema, {
    METADATA_URL: 'http://metadata:8081/',
    RATING_URL: 'https://rating.internal/api//',
    DOWNSTREAM_TIMEOUT_MS: '250',
  });
  assert.equal(env.METADATA_URL, 'http://metadata:8081');
  assert.equal(env.RATING_URL, 'https://rating.internal/api');
  assert.equal(env.DOWNSTREAM_TIMEOUT_MS, 250);
});

for (const [variable, value] of [
  ['METADATA_URL', 'ftp://metadata:8081'],
  ['METADATA_URL', 'metadata:8081'],
  ['RATING_URL', 'not a url'],
  ['RATING_URL', 'http://rating:8082/?x=1'],
  ['RATING_URL', 'http://user:secret@rating:8082'],
  ['DOWNSTREAM_TIMEOUT_MS', 'soon'],
  ['DOWNSTREAM_TIMEOUT_MS', '0'],
  ['REQUEST_DEADLINE_MS', '5'],
  ['DOWNSTREAM_MAX_ATTEMPTS', '0'],
  ['DOWNSTREAM_RETRY_BUDGET_RATIO', '2'],
  ['METADATA_CACHE_TTL_MS', '-1'],
] as const) {
  test(`${variable}=${value} is refused, naming the variable`, () => {
    assert.throws(
      () => loadConfig(movieEnvSchema, { [variable]: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1, error.message);
        assert.match(error.problems[0] ?? '', new RegExp(`^${variable}: `));
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
  });
}
