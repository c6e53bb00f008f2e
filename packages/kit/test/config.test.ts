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

test('MYSQL_URL names the server only: a database path, a query string or a fragment is refused, the password never echoed', () => {
  for (const url of ['mysql://u:hunter2-pw@db:3306/movies', 'mysql://u:hunter2-pw@db:3306?ssl=true', 'mysql://u:hunter2-pw@db:3306/#x', 'mysql://u:hunter2-pw@db:3306/movies?charset=utf8']) {
    assert.throws(
      () => loadConfig(schema, { MYSQL_URL: url }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, url);
        assert.match(error.message, /MYSQL_URL: must name only the server .*no database path, query string or fragment.*its own database/, url);
        assert.ok(!error.message.includes('hunter2'), 'the password must not appear in the message');
        return true;
      },
    );
  }
  assert.equal(loadConfig(schema, { MYSQL_URL: 'mysql://u:p@db:3306/' }).MYSQL_URL, 'mysql://u:p@db:3306/');
});

test('the admin listener binds loopback unless ADMIN_HOST says otherwise; ADMIN_HOST must be an address or a host name', () => {
  assert.equal(loadConfig(schema, {}).ADMIN_HOST, '127.0.0.1');
  for (const host of ['0.0.0.0', '::', '::1', '10.1.2.3', 'localhost', 'admin.internal']) assert.equal(loadConfig(schema, { ADMIN_HOST: host }).ADMIN_HOST, host);
  for (const host of ['http://0.0.0.0', '0.0.0.0:8091', 'a b', '-bad-', 'host_name']) {
    assert.throws(() => loadConfig(schema, { ADMIN_HOST: host }), /ADMIN_HOST: must be an IP address or a host name to bind/, host);
  }
});
