import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

test('the preload is the package\'s register export, the file the services and the tests start with', () => {
  assert.equal(require.resolve('@cinemetrics/telemetry/register'), path.resolve(__dirname, '../src/register.js'));
});

test('importing the package starts nothing: neither the SDK nor any instrumentation is loaded', () => {
  const loaded = execFileSync(process.execPath, ['-e', `require('@cinemetrics/telemetry'); console.log(JSON.stringify(Object.keys(require.cache)))`], {
    encoding: 'utf8',
    cwd: __dirname,
  });
  const modules = JSON.parse(loaded) as string[];
  assert.ok(modules.some((file) => file.endsWith(path.join('telemetry', 'dist', 'src', 'index.js'))));
  assert.deepEqual(modules.filter((file) => /[\\/]@opentelemetry[\\/](sdk-node|auto-instrumentations-node|instrumentation)[\\/-]/.test(file)), []);
});
