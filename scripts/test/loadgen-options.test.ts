import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoadOptions } from '../src/loadgen/options.js';
import { serviceUrls } from '../src/loadgen/scenario.js';

test('by default the load generator targets the services on 127.0.0.1 at the base port', () => {
  const options = parseLoadOptions([])!;
  assert.equal(options.serviceHosts, false);
  assert.deepEqual(serviceUrls(options.basePort, options.serviceHosts), {
    metadata: 'http://127.0.0.1:8081',
    rating: 'http://127.0.0.1:8082',
    movie: 'http://127.0.0.1:8083',
    auth: 'http://127.0.0.1:8084',
  });
  assert.equal(options.authAdminUrl, 'http://127.0.0.1:8094');
  assert.equal(options.adminTokenEnv, 'ADMIN_TOKEN');
});

test('--service-hosts targets each service by its own host name, as on the compose network', () => {
  const options = parseLoadOptions(['--service-hosts'])!;
  assert.deepEqual(serviceUrls(options.basePort, options.serviceHosts), {
    metadata: 'http://metadata:8081',
    rating: 'http://rating:8082',
    movie: 'http://movie:8083',
    auth: 'http://auth:8084',
  });
});

test('the admin token is named by a variable, never given on the command line', () => {
  const options = parseLoadOptions(['--admin-token-env', 'LOADGEN_ADMIN_TOKEN', '--auth-admin-url', 'http://auth:8094/'])!;
  assert.equal(options.adminTokenEnv, 'LOADGEN_ADMIN_TOKEN');
  assert.equal(options.authAdminUrl, 'http://auth:8094');
  assert.throws(() => parseLoadOptions(['--admin-token-env', 'not a name']), /--admin-token-env must name an environment variable/);
  assert.throws(() => parseLoadOptions(['--admin-token', 'secret']), /Unknown option/);
});
