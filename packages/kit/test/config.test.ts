import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, loadConfig, serviceEnvWithDefaults } from '../src/config.js';

const schema = serviceEnvWithDefaults({ PORT: 8081, ADMIN_PORT: 8091 });

test('defaults apply when variables are unset or empty', () => {
  const config = loadConfig(schema, { PORT: '', LOG_LEVEL: '' });
  assert.equal(config.PORT, 8081);
  assert.equal(config.ADMIN_PORT, 8091);
  assert.equal(config.LOG_LEVEL, 'info');
  assert.equal(config.MYSQL_URL, undefined);
});

test('every bad variable is named with its rule, and secrets are not echoed', () => {
  const secret = 'short-secret';
  assert.throws(
    () => loadConfig(schema, { PORT: '70000', ADMIN_TOKEN: secret, MYSQL_URL: 'postgres://x@y/z', LOG_LEVEL: 'loud' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const names = error.problems.map((p) => p.split(':')[0]);
      assert.deepEqual(names.sort(), ['ADMIN_TOKEN', 'LOG_LEVEL', 'MYSQL_URL', 'PORT']);
      assert.ok(!error.message.includes(secret), 'the token value must not appear in the message');
      assert.match(error.message, /MYSQL_URL: must be a URL like mysql:\/\//);
      return true;
    },
  );
});

test('a required variable that is missing says so', () => {
  assert.throws(() => loadConfig(z.object({ METADATA_URL: z.url() }), {}), /METADATA_URL: is required/);
});

test('valid values are coerced', () => {
  const config = loadConfig(schema, { PORT: '9000', MYSQL_URL: 'mysql://u:p@db:3306', SHUTDOWN_TIMEOUT_MS: '500' });
  assert.equal(config.PORT, 9000);
  assert.equal(config.SHUTDOWN_TIMEOUT_MS, 500);
  assert.equal(config.MYSQL_URL, 'mysql://u:p@db:3306');
});

test('REQUEST_DEADLINE_FLOOR_MS defaults to 250 ms and must be a whole number of milliseconds', () => {
  assert.equal(loadConfig(schema, {}).REQUEST_DEADLINE_FLOOR_MS, 250);
  assert.equal(loadConfig(schema, { REQUEST_DEADLINE_FLOOR_MS: '0' }).REQUEST_DEADLINE_FLOOR_MS, 0);
  for (const bad of ['-1', '1.5', 'soon', '700000']) {
    assert.throws(() => loadConfig(schema, { REQUEST_DEADLINE_FLOOR_MS: bad }), /REQUEST_DEADLINE_FLOOR_MS: /, bad);
  }
});
