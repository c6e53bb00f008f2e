import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, serviceEnvWithDefaults } from '../src/config.js';
import { DEFAULT_LISTENER_TIMEOUTS, listenerTimeoutsFromEnv } from '../src/http/listener.js';
import { protectionSettingsFromEnv } from '../src/protection/settings.js';

const schema = serviceEnvWithDefaults({ PORT: 8081, ADMIN_PORT: 8091 });
const load = (env: Record<string, string>) => loadConfig(schema, env);

function configProblems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: no rate limit, 256 in flight, no event-loop shedding, the documented listener timeouts', () => {
  const env = load({});
  assert.deepEqual(protectionSettingsFromEnv(env), { maxInFlight: 256 });
  assert.deepEqual(listenerTimeoutsFromEnv(env), { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
  const { connectionsCheckingIntervalMs, ...defaults } = DEFAULT_LISTENER_TIMEOUTS;
  assert.deepEqual(listenerTimeoutsFromEnv(env), defaults, 'the env defaults and the listener defaults agree');
  assert.equal(connectionsCheckingIntervalMs, 1_000);
});

test('the rate limit is on with RATE_LIMIT_RPS; the burst defaults to one second of it, at least 1', () => {
  assert.deepEqual(protectionSettingsFromEnv(load({ RATE_LIMIT_RPS: '20', RATE_LIMIT_BURST: '10' })).rateLimit, { ratePerSecond: 20, burst: 10 });
  assert.deepEqual(protectionSettingsFromEnv(load({ RATE_LIMIT_RPS: '12.5' })).rateLimit, { ratePerSecond: 12.5, burst: 13 });
  assert.deepEqual(protectionSettingsFromEnv(load({ RATE_LIMIT_RPS: '0.2' })).rateLimit, { ratePerSecond: 0.2, burst: 1 });
  assert.equal(protectionSettingsFromEnv(load({ RATE_LIMIT_RPS: '0' })).rateLimit, undefined);
  assert.equal(protectionSettingsFromEnv(load({ RATE_LIMIT_RPS: '' })).rateLimit, undefined, 'empty counts as unset');
});

test('0 turns the concurrency limit and event-loop shedding off; a value turns them on', () => {
  assert.deepEqual(protectionSettingsFromEnv(load({ MAX_IN_FLIGHT: '0' })), {});
  assert.deepEqual(protectionSettingsFromEnv(load({ MAX_IN_FLIGHT: '8', EVENT_LOOP_DELAY_LIMIT_MS: '200' })), {
    maxInFlight: 8,
    eventLoopDelayLimitMs: 200,
  });
});

test('bad values stop start-up naming the variable and its rule', () => {
  const problems = configProblems(() =>
    load({
      RATE_LIMIT_RPS: '-1',
      RATE_LIMIT_BURST: '2.5',
      MAX_IN_FLIGHT: 'many',
      EVENT_LOOP_DELAY_LIMIT_MS: '-5',
      HTTP_HEADERS_TIMEOUT_MS: '500',
      HTTP_REQUEST_TIMEOUT_MS: '0',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '99999999',
    }),
  );
  const variables = problems.map((problem) => problem.split(':')[0]);
  assert.deepEqual(variables.sort(), [
    'EVENT_LOOP_DELAY_LIMIT_MS',
    'HTTP_HEADERS_TIMEOUT_MS',
    'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    'HTTP_REQUEST_TIMEOUT_MS',
    'MAX_IN_FLIGHT',
    'RATE_LIMIT_BURST',
    'RATE_LIMIT_RPS',
  ]);
});

test('rules across variables: a burst without a rate, a headers timeout longer than the request timeout', () => {
  assert.deepEqual(configProblems(() => protectionSettingsFromEnv(load({ RATE_LIMIT_BURST: '10' }))), [
    'RATE_LIMIT_BURST: is set but RATE_LIMIT_RPS is not; set RATE_LIMIT_RPS above 0 to turn the rate limit on',
  ]);
  assert.deepEqual(configProblems(() => listenerTimeoutsFromEnv(load({ HTTP_HEADERS_TIMEOUT_MS: '40000' }))), [
    'HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS',
  ]);
  // Equal is fine, and a short keep-alive timeout may sit below the headers timeout.
  assert.deepEqual(listenerTimeoutsFromEnv(load({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000' })), {
    headersTimeoutMs: 30_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
  });
});
