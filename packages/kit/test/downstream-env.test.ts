import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, DEFAULT_DOWNSTREAM_POLICY, downstreamPolicyEnvShape, downstreamPolicyFromEnv, loadConfig, loadDownstreamEnv } from '../src/index.js';

test('no variables: no authentication, no timeout override', () => {
  assert.deepEqual(loadDownstreamEnv('RATING', {}), { auth: { type: 'none' } });
});

test('each scheme is read from <NAME>_* variables', () => {
  assert.deepEqual(loadDownstreamEnv('RATING', { RATING_AUTH: 'api-key', RATING_API_KEY: 'k', RATING_API_KEY_HEADER: 'X-Key' }).auth, {
    type: 'api-key',
    key: 'k',
    header: 'X-Key',
  });
  assert.deepEqual(loadDownstreamEnv('RATING', { RATING_AUTH: 'basic', RATING_USERNAME: 'u', RATING_PASSWORD: 'p' }).auth, {
    type: 'basic',
    username: 'u',
    password: 'p',
  });
  assert.deepEqual(loadDownstreamEnv('RATING', { RATING_AUTH: 'bearer-forward' }).auth, { type: 'bearer-forward' });
  assert.deepEqual(
    loadDownstreamEnv('AUTH', {
      AUTH_AUTH: 'oauth2',
      AUTH_TOKEN_URL: 'http://auth:8084/oauth/token',
      AUTH_CLIENT_ID: 'movie',
      AUTH_CLIENT_SECRET: 's',
      AUTH_SCOPE: 'a b',
      AUTH_TIMEOUT_MS: '250',
    }),
    {
      auth: { type: 'oauth2-client-credentials', tokenUrl: 'http://auth:8084/oauth/token', clientId: 'movie', clientSecret: 's', scope: 'a b' },
      timeoutMs: 250,
    },
  );
});

test('a scheme missing what it needs stops start-up naming every variable, never echoing secrets', () => {
  assert.throws(
    () => loadDownstreamEnv('RATING', { RATING_AUTH: 'oauth2', RATING_CLIENT_SECRET: 'hush-hush', RATING_TOKEN_URL: 'ftp://x' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /RATING_TOKEN_URL: must be an http or https URL/);
      assert.doesNotMatch(error.message, /hush-hush/);
      return true;
    },
  );
  assert.throws(
    () => loadDownstreamEnv('RATING', { RATING_AUTH: 'oauth2', RATING_CLIENT_SECRET: 'hush-hush' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'RATING_TOKEN_URL: is required when RATING_AUTH=oauth2',
        'RATING_CLIENT_ID: is required when RATING_AUTH=oauth2',
      ]);
      return true;
    },
  );
  assert.throws(() => loadDownstreamEnv('RATING', { RATING_AUTH: 'kerberos' }), /RATING_AUTH/);
});

test('DOWNSTREAM_* defaults are the documented policy; each variable tunes its part', () => {
  const schema = z.object({ ...downstreamPolicyEnvShape, REQUEST_DEADLINE_MS: z.coerce.number().default(5_000) });
  assert.deepEqual(downstreamPolicyFromEnv(loadConfig(schema, {})), DEFAULT_DOWNSTREAM_POLICY);
  const tuned = downstreamPolicyFromEnv(
    loadConfig(schema, {
      DOWNSTREAM_TIMEOUT_MS: '300',
      DOWNSTREAM_MAX_ATTEMPTS: '2',
      DOWNSTREAM_RETRY_BUDGET_RATIO: '0.2',
      DOWNSTREAM_BREAKER_MIN_CALLS: '20',
      DOWNSTREAM_BREAKER_PROBE_INTERVAL_MS: '500',
      REQUEST_DEADLINE_MS: '800',
    }),
  );
  assert.equal(tuned.timeoutMs, 300);
  assert.equal(tuned.retry.maxAttempts, 2);
  assert.equal(tuned.retry.budget.ratio, 0.2);
  assert.equal(tuned.breaker.minCalls, 20);
  assert.equal(tuned.breaker.probeIntervalMs, 500);
  assert.equal(tuned.defaultDeadlineMs, 800);
  assert.throws(() => loadConfig(schema, { DOWNSTREAM_BREAKER_FAILURE_RATIO: '1' }), /DOWNSTREAM_BREAKER_FAILURE_RATIO/);
});
