import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planIdentities } from '../src/identity/plan.js';
import { serviceEnv, servicePorts } from '../src/start/services.js';

/** What every service gets from the user's environment. */
const PASSED = {
  PATH: '/usr/bin',
  ADMIN_HOST: '0.0.0.0',
  REQUEST_DEADLINE_FLOOR_MS: '100',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
  HTTP_BODY_LIMIT: '32kb',
  AUTH_ISSUER: 'my-issuer',
  AUTH_AUDIENCE: 'my-audience',
  ACCESS_TOKEN_TTL_SECONDS: '60',
  SIGNIN_BLOCK_SECONDS: '30',
  AUTH_SCRYPT_N: '1024',
  AUTH_HASH_CONCURRENCY: '1',
};

const USER_ENV = {
  ...PASSED,
  AWS_SECRET_ACCESS_KEY: 'not for the services',
  AUTH_CLIENT_SECRET: 'a-user-set-client-secret',
  AUTH_CLIENTS: '[]',
  AUTH_ADMIN_PASSWORD: 'a-user-set-admin-password',
  METADATA_CLIENT_SECRET: 'movie-only-downstream-secret',
  PORT: '1',
};

const all = servicePorts(18080);
const envOf = (name: string, env: NodeJS.ProcessEnv = USER_ENV) => {
  const identity = planIdentities(env);
  const service = all.find((candidate) => candidate.name === name);
  assert.ok(service);
  return { env: serviceEnv(service, all, env, identity), identity };
};

test('each service gets its ports, its siblings’ URLs and the kit and AUTH_* settings from the environment, and nothing else', () => {
  const { env } = envOf('rating');
  assert.deepEqual(env, {
    ...PASSED,
    PORT: '18082',
    ADMIN_PORT: '18092',
    OTEL_SERVICE_NAME: 'rating',
    METADATA_URL: 'http://127.0.0.1:18081',
    RATING_URL: 'http://127.0.0.1:18082',
    AUTH_URL: 'http://127.0.0.1:18084',
  });
});

test('credentials go only where they are needed: the per-run movie secret to movie and auth, never a user-set one', () => {
  const movie = envOf('movie');
  assert.equal(movie.env['AUTH_CLIENT_ID'], 'movie');
  assert.equal(movie.env['AUTH_CLIENT_SECRET'], movie.identity.movieSecret);
  assert.notEqual(movie.identity.movieSecret, USER_ENV.AUTH_CLIENT_SECRET);
  assert.equal(movie.env['METADATA_CLIENT_SECRET'], 'movie-only-downstream-secret');

  const auth = envOf('auth');
  const clients = JSON.parse(auth.env['AUTH_CLIENTS'] ?? '[]') as { clientId: string; secret: string; roles: string[] }[];
  assert.deepEqual(clients, [
    { clientId: 'movie', secret: auth.identity.movieSecret, roles: ['service'] },
    { clientId: 'seed', secret: auth.identity.seedSecret, roles: ['admin'] },
  ]);
  assert.equal(auth.env['ADMIN_TOKEN'], auth.identity.adminToken);
  assert.equal(auth.env['AUTH_ADMIN_USERNAME'], 'admin');
  assert.equal(auth.env['AUTH_ADMIN_PASSWORD'], auth.identity.demoAdmin?.password);
  assert.equal(auth.env['AUTH_CLIENT_SECRET'], undefined);

  for (const name of ['metadata', 'rating']) {
    const { env } = envOf(name);
    for (const key of ['AUTH_CLIENT_SECRET', 'AUTH_CLIENTS', 'AUTH_ADMIN_PASSWORD', 'ADMIN_TOKEN', 'METADATA_CLIENT_SECRET']) assert.equal(env[key], undefined, `${name} ${key}`);
  }
  // An ADMIN_TOKEN the user set is every service's, as before.
  assert.equal(envOf('rating', { ...USER_ENV, ADMIN_TOKEN: 'a-token-of-sixteen-chars' }).env['ADMIN_TOKEN'], 'a-token-of-sixteen-chars');
});

test('with MySQL the demo passwords come only from CINEMETRICS_DEMO_*: none are generated', () => {
  const none = planIdentities({ MYSQL_URL: 'mysql://u:p@127.0.0.1:3306' });
  assert.equal(none.demoAdmin, undefined);
  assert.equal(none.demoUser, undefined);
  const both = planIdentities({
    MYSQL_URL: 'mysql://u:p@127.0.0.1:3306',
    CINEMETRICS_DEMO_ADMIN_PASSWORD: 'twelve-chars-or-more',
    CINEMETRICS_DEMO_USER_PASSWORD: 'eight-ch',
  });
  assert.deepEqual([both.demoAdmin?.password, both.demoUser?.password], ['twelve-chars-or-more', 'eight-ch']);
  assert.throws(() => planIdentities({ MYSQL_URL: 'mysql://u:p@127.0.0.1:3306', CINEMETRICS_DEMO_ADMIN_PASSWORD: 'short' }), /CINEMETRICS_DEMO_ADMIN_PASSWORD must be 12 to 1024/);
  const memory = planIdentities({});
  assert.ok((memory.demoAdmin?.password.length ?? 0) >= 12 && (memory.demoUser?.password.length ?? 0) >= 8);
});
