import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_DOWNSTREAM_POLICY,
  DependencyUnavailableError,
  DownstreamRegistry,
  DownstreamUnavailableError,
  httpClientDuration,
  mergePolicy,
  runWithDeadline,
  toProblem,
  type DownstreamOptions,
  type DownstreamPolicyOverrides,
} from '../src/index.js';
import { compose, type Call, type Layer } from '../src/client/call.js';
import { capturingLogger } from './support.js';
import { replies, startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';
const { status } = replies;

/**
 * The order of the client's layers (docs/architecture.md, "The downstream client"), pinned by what
 * each order would change: the breaker sees every attempt, a call is one log line over all its
 * attempts, a 401 is refreshed once per call across its retries, credentials beat default headers.
 */

let server: ScriptedServer;
let tokens: ScriptedServer;
const registries: DownstreamRegistry[] = [];
let names = 0;

before(async () => {
  server = await startScriptedServer();
  tokens = await startScriptedServer();
});

after(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  await Promise.all([server.close(), tokens.close()]);
});

function client(policy: DownstreamPolicyOverrides = {}, options: Partial<DownstreamOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const registry = new DownstreamRegistry({
    logger,
    policy: mergePolicy(DEFAULT_DOWNSTREAM_POLICY, { retry: { baseDelayMs: 5, maxDelayMs: 20, budget: { ratio: 1 } }, ...policy }),
  });
  registries.push(registry);
  names += 1;
  const name = `layers-${names}`;
  const downstream = registry.register(name, { baseUrl: server.url, ...options });
  server.seen.length = 0;
  server.script();
  server.fallback = status(200, { ok: true });
  server.alive = status(200, { status: 'alive' });
  return { downstream, name, lines };
}

async function attemptsMeasured(peer: string): Promise<number> {
  const { values } = await httpClientDuration.get();
  return values
    .filter((value) => value.metricName === 'http_client_request_duration_seconds_count' && value.labels['peer_service'] === peer)
    .reduce((sum, value) => sum + value.value, 0);
}

test('compose puts the first layer outermost', async () => {
  const order: string[] = [];
  const named =
    (label: string): Layer =>
    (next) =>
    async (request) => {
      order.push(`${label} in`);
      const response = await next(request);
      order.push(`${label} out`);
      return response;
    };
  const transport: Call = () => {
    order.push('transport');
    return Promise.resolve({ status: 204, headers: {}, body: Buffer.alloc(0), attempts: 0, text: () => '', json: () => null });
  };
  await compose([named('a'), named('b')], transport)({} as never);
  assert.deepEqual(order, ['a in', 'b in', 'transport', 'b out', 'a out']);
});

describe('layer order', () => {
  test('the breaker is inside the retry: it sees every attempt, so one call retried on 503 can open it', async () => {
    const { downstream } = client({ retry: { maxAttempts: 3 }, breaker: { minCalls: 3, failureRatio: 0.5 } });
    server.fallback = status(503);
    const response = await downstream.get('/x');
    assert.equal(response.status, 503);
    assert.equal(response.attempts, 3);
    assert.equal(downstream.breakerState, 'open', 'three failed attempts are three outcomes for the breaker');
  });

  test('metrics are inside the breaker: a refused attempt counts for the call but sends and measures nothing', async () => {
    const { downstream, name } = client({ retry: { maxAttempts: 1 }, breaker: { minCalls: 1, failureRatio: 0.5 } });
    server.fallback = status(500);
    await downstream.get('/x');
    assert.equal(downstream.breakerState, 'open');
    const measured = await attemptsMeasured(name);
    server.seen.length = 0;
    await assert.rejects(downstream.get('/x'), (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'circuit_open' && error.attempts === 1);
    assert.equal(server.seen.length, 0);
    assert.equal(await attemptsMeasured(name), measured);
  });

  test('telemetry is outermost: one log line per call, counting every attempt', async () => {
    const { downstream, lines } = client();
    server.script(status(503), status(503), status(200));
    await runWithDeadline(2_000, () => downstream.get('/x'));
    const calls = lines.filter((line) => line['msg'] === 'downstream call completed' || line['msg'] === 'downstream call failed');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.['attempts'], 3);
    assert.equal(calls[0]?.['http.status_code'], 200);
    assert.equal(calls[0]?.['level'], 'info', 'a success that needed retries is worth a line at info');
  });

  test('a success on the first attempt is logged at debug, a failure at warn', async () => {
    const { downstream, lines } = client({ retry: { maxAttempts: 1 } });
    server.script(status(200), status(500));
    await runWithDeadline(2_000, () => downstream.get('/x'));
    await runWithDeadline(2_000, () => downstream.get('/x'));
    const calls = lines.filter((line) => String(line['msg']).startsWith('downstream call'));
    assert.deepEqual(
      calls.map((line) => [line['msg'], line['level'], line['http.status_code']]),
      [
        ['downstream call completed', 'debug', 200],
        ['downstream call failed', 'warn', 500],
      ],
    );
  });

  test('auth is inside the retry, with one 401 refresh per call: 401, 503, 401 is answered 401 after one refresh', async () => {
    let issued = 0;
    tokens.seen.length = 0;
    tokens.fallback = (_request, response) => {
      issued += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: `layer-token-${issued}`, token_type: 'Bearer', expires_in: 300 }));
    };
    const { downstream } = client(
      {},
      { auth: { type: 'oauth2-client-credentials', tokenUrl: `${tokens.url}/oauth/token`, clientId: 'movie', clientSecret: 's3cret' } },
    );
    server.script(status(401), status(503), status(401));
    const response = await runWithDeadline(2_000, () => downstream.get('/x'));
    assert.equal(response.status, 401);
    assert.equal(response.attempts, 3);
    assert.equal(server.seen.length, 3);
    assert.equal(tokens.seen.length, 2, 'the first token, and one refresh after the first 401');
    const used = server.seen.map((request) => request.headers['authorization']);
    assert.notEqual(used[0], used[1], 'the attempt after the refresh carries the new token');
    assert.equal(used[2], used[1], 'the retry carries the current token');
  });

  test('credentials are applied after the default headers: a default authorization never replaces them', async () => {
    const { downstream } = client({}, { headers: { Authorization: 'Bearer default' }, auth: { type: 'basic', username: 'u', password: 'p' } });
    await downstream.get('/x');
    assert.equal(server.seen[0]?.headers['authorization'], `Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});

test('an outage that reaches the HTTP layer is a 503 problem naming the downstream, not a 500', () => {
  const outage = new DownstreamUnavailableError('rating', 'timeout', 'no answer within 100 ms');
  const problem = toProblem(outage);
  assert.ok(problem instanceof DependencyUnavailableError);
  assert.equal(problem.status, 503);
  assert.equal(problem.dependency, 'rating service');
  assert.equal(problem.headers['retry-after'], '1');
  assert.equal(problem.cause, outage);
});
