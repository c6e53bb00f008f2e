import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '@cinemetrics/kit';
import { authEnvSchema } from '../src/config.js';
import { DEFAULT_SCRYPT } from '../src/secrets.js';

test('AUTH_SCRYPT_N: new hashes cost the default N unless set to another power of two', () => {
  assert.equal(loadConfig(authEnvSchema, {}).AUTH_SCRYPT_N, DEFAULT_SCRYPT.N);
  assert.equal(loadConfig(authEnvSchema, { AUTH_SCRYPT_N: '1024' }).AUTH_SCRYPT_N, 1024);
  assert.equal(loadConfig(authEnvSchema, { AUTH_SCRYPT_N: '1048576' }).AUTH_SCRYPT_N, 2 ** 20);
});

for (const value of ['1000', '512', '2097152', 'cheap', '32768.5']) {
  test(`AUTH_SCRYPT_N=${value} is refused, naming the variable`, () => {
    assert.throws(
      () => loadConfig(authEnvSchema, { AUTH_SCRYPT_N: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1, error.message);
        assert.match(error.problems[0] ?? '', /^AUTH_SCRYPT_N: /);
        return true;
      },
    );
  });
}

test('AUTH_HASH_CONCURRENCY: two hashes at once unless set to another count from 1 to 64', () => {
  assert.equal(loadConfig(authEnvSchema, {}).AUTH_HASH_CONCURRENCY, 2);
  assert.equal(loadConfig(authEnvSchema, { AUTH_HASH_CONCURRENCY: '1' }).AUTH_HASH_CONCURRENCY, 1);
  assert.equal(loadConfig(authEnvSchema, { AUTH_HASH_CONCURRENCY: '64' }).AUTH_HASH_CONCURRENCY, 64);
  for (const value of ['0', '65', '1.5', 'many']) {
    assert.throws(
      () => loadConfig(authEnvSchema, { AUTH_HASH_CONCURRENCY: value }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 1 && /^AUTH_HASH_CONCURRENCY: /.test(error.problems[0] ?? ''),
      value,
    );
  }
});
