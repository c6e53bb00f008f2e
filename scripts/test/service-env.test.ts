import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceEnv, servicePorts } from '../src/start/services.js';

test('each service gets its ports, its siblings’ URLs and the kit settings from the environment, and nothing else', () => {
  const all = servicePorts(18080);
  const movie = all.find((service) => service.name === 'movie');
  assert.ok(movie);
  const env = serviceEnv(movie, all, {
    PATH: '/usr/bin',
    ADMIN_HOST: '0.0.0.0',
    ADMIN_TOKEN: 'a-token-of-sixteen-chars',
    REQUEST_DEADLINE_FLOOR_MS: '100',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    HTTP_BODY_LIMIT: '32kb',
    AWS_SECRET_ACCESS_KEY: 'not for the services',
    PORT: '1',
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    ADMIN_HOST: '0.0.0.0',
    ADMIN_TOKEN: 'a-token-of-sixteen-chars',
    REQUEST_DEADLINE_FLOOR_MS: '100',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    HTTP_BODY_LIMIT: '32kb',
    PORT: '18083',
    ADMIN_PORT: '18093',
    OTEL_SERVICE_NAME: 'movie',
    METADATA_URL: 'http://127.0.0.1:18081',
    RATING_URL: 'http://127.0.0.1:18082',
    AUTH_URL: 'http://127.0.0.1:18084',
  });
});
