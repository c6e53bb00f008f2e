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
  });
});

test('--service-hosts targets each service by its own host name, as on the compose network', () => {
  const options = parseLoadOptions(['--service-hosts'])!;
  assert.deepEqual(serviceUrls(options.basePort, options.serviceHosts), {
    metadata: 'http://metadata:8081',
    rating: 'http://rating:8082',
    movie: 'http://movie:8083',
  });
});
