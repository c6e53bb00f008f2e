import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '@cinemetrics/testing';
import {
  circuitBreakerState,
  DEFAULT_DOWNSTREAM_POLICY,
  DownstreamRegistry,
  DownstreamUnavailableError,
  HealthRegistry,
  httpClientDuration,
  httpClientRetries,
  mergePolicy,
  parseRetryAfter,
  runWithDeadline,
  UnknownDownstreamError,
  type DownstreamOptions,
  type DownstreamPolicyOverrides,
} from '../src/index.js';
import { capturingLogger, collectGarbage, inTrackedContext } from './support.js';
import { replies, startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';
const { hang, status } = replies;

/**
 * The outbound client against a scripted in-process server (the kit has no downstream service of its
 * own): registration, retries, deadlines, budget, authentication, metrics. The breaker has its own
 * file; the same behaviours with real services are proven in tests/resilience.
 */

/** Timers and a busy machine: how much later than a bound an answer may come. */
const MARGIN_MS = 400;

/** For tests about retries alone: failures never open the breaker. */
const NO_BREAKER = { minCalls: 1_000_000 };

let server: ScriptedServer;
const registries: DownstreamRegistry[] = [];
let names = 0;

before(async () => {
  server = await startScriptedServer();
});

after(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  await server.close();
});

/** A client for a fresh downstream name (so metrics and breakers never mix between tests). */
function client(policy: DownstreamPolicyOverrides = {}, options: Partial<DownstreamOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const health = new HealthRegistry();
  const registry = new DownstreamRegistry({
    logger,
    health,
    policy: mergePolicy(DEFAULT_DOWNSTREAM_POLICY, { retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...policy }),
  });
  registries.push(registry);
  names += 1;
  const name = `peer-${names}`;
  const downstream = registry.register(name, { baseUrl: server.url, ...options });
  server.seen.length = 0;
  server.script();
  server.fallback = status(200, { ok: true });
  server.alive = status(200, { status: 'alive' });
  return { downstream, registry, name, lines, health };
}

async function counter(metric: typeof httpClientRetries, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((value) => Object.entries(labels).every(([key, expected]) => (value.labels as Record<string, unknown>)[key] === expected))
    .reduce((sum, value) => sum + value.value, 0);
}

async function attemptsMeasured(peer: string, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await httpClientDuration.get();
  return values
    .filter((value) => value.metricName === 'http_client_request_duration_seconds_count')
    .filter((value) => value.labels['peer_service'] === peer)
    .filter((value) => Object.entries(labels).every(([key, expected]) => (value.labels as Record<string, unknown>)[key] === expected))
    .reduce((sum, value) => sum + value.value, 0);
}

async function waitForRequest(url: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!server.seen.some((request) => request.url === url)) {
    if (performance.now() > deadline) throw new Error(`${url} never reached the server`);
    await delay(5);
  }
}

async function elapsed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('registry', () => {
  test('a registered downstream is retrieved by name; an unknown name is a wiring error', () => {
    const { registry, downstream, name } = client();
    assert.equal(registry.get(name), downstream);
    assert.deepEqual(registry.names(), [name]);
    assert.throws(() => registry.get('nobody'), UnknownDownstreamError);
    assert.throws(() => registry.register(name, { baseUrl: server.url }), /already registered/);
    assert.throws(() => registry.register('Bad Name', { baseUrl: server.url }), /lower-case/);
  });

  test('every registered downstream has a readiness check; critical unless said otherwise', async () => {
    const { registry, health, name } = client();
    const closedPort = await freePort();
    registry.register('optional-one', { baseUrl: `http://127.0.0.1:${closedPort}`, critical: false });
    const report = await health.report();
    assert.equal(report.checks[name]?.status, 'up');
    assert.equal(report.checks[name]?.critical, true);
    assert.equal(report.checks['optional-one']?.status, 'down');
    assert.equal(report.checks['optional-one']?.critical, false);
    assert.equal(report.status, 'ok', 'a non-critical downstream being down keeps the service ready');
    server.alive = status(503);
    assert.equal((await health.report()).status, 'unavailable');
  });

  test('one keep-alive pool per downstream: sequential calls reuse its connections', async () => {
    const { downstream } = client();
    for (let i = 0; i < 10; i += 1) assert.equal((await downstream.get('/x')).status, 200);
    const ports = new Set(server.seen.map((request) => request.remotePort));
    assert.equal(server.seen.length, 10);
    // undici frees a connection a tick after its response, so back-to-back calls alternate between two.
    assert.ok(ports.size <= 2, `10 calls over ${ports.size} connections`);
  });

  test('paths, queries and the base URL prefix are joined; JSON bodies are sent as JSON', async () => {
    const { registry } = client();
    const prefixed = registry.register('prefixed', { baseUrl: `${server.url}/api/` });
    server.seen.length = 0;
    await prefixed.request({ method: 'PUT', path: '/things/a%20b', query: { limit: 5, cursor: undefined }, body: { value: 1 } });
    assert.equal(server.seen[0]?.url, '/api/things/a%20b?limit=5');
    assert.equal(server.seen[0]?.headers['content-type'], 'application/json');
    assert.equal(server.seen[0]?.body, '{"value":1}');
  });
});

describe('retries', () => {
  test('503 then 200: retried, the caller sees 200, the retry is counted', async () => {
    const { downstream, name } = client();
    server.script(status(503), status(200, { ok: 1 }));
    const response = await downstream.get('/thing');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { ok: 1 });
    assert.equal(response.attempts, 2);
    assert.equal(server.seen.length, 2);
    assert.equal(await counter(httpClientRetries, { peer_service: name }), 1);
    assert.equal(await attemptsMeasured(name, { http_response_status_code: '503', error_type: '503' }), 1);
    assert.equal(await attemptsMeasured(name, { http_response_status_code: '200', error_type: '' }), 1);
  });

  for (const code of [429, 502, 504]) {
    test(`${code} then 200: retried`, async () => {
      const { downstream } = client();
      server.script(status(code), status(200));
      assert.equal((await downstream.get('/thing')).status, 200);
      assert.equal(server.seen.length, 2);
    });
  }

  for (const code of [400, 401, 403, 404, 409, 500]) {
    test(`${code} is never retried: one request reaches the downstream`, async () => {
      const { downstream, name } = client();
      server.fallback = status(code);
      const response = await downstream.get('/thing');
      assert.equal(response.status, code);
      assert.equal(response.attempts, 1);
      assert.equal(server.seen.length, 1);
      assert.equal(await counter(httpClientRetries, { peer_service: name }), 0);
    });
  }

  test('a downstream failing everything gets exactly max attempts per call', async () => {
    const { downstream } = client({ retry: { maxAttempts: 4 } });
    server.fallback = status(503);
    const response = await downstream.get('/thing');
    assert.equal(response.status, 503);
    assert.equal(response.attempts, 4);
    assert.equal(server.seen.length, 4);
  });

  test('POST is not retried; with an idempotency key it is, under the same key', async () => {
    const { downstream } = client();
    server.fallback = status(503);
    assert.equal((await downstream.request({ method: 'POST', path: '/orders', body: { a: 1 } })).status, 503);
    assert.equal(server.seen.length, 1);

    server.seen.length = 0;
    server.script(status(503), status(201));
    const response = await downstream.request({ method: 'POST', path: '/orders', body: { a: 1 }, idempotencyKey: 'order-42' });
    assert.equal(response.status, 201);
    assert.deepEqual(server.seen.map((request) => request.headers['idempotency-key']), ['order-42', 'order-42']);
    assert.deepEqual(server.seen.map((request) => request.body), ['{"a":1}', '{"a":1}']);
  });

  test('connection refused is retried, then reported with the attempts made', async () => {
    const { registry } = client();
    const nobody = registry.register('nobody-home', { baseUrl: `http://127.0.0.1:${await freePort()}` });
    await assert.rejects(nobody.get('/x'), (error: unknown) => {
      assert.ok(error instanceof DownstreamUnavailableError);
      assert.equal(error.kind, 'connection');
      assert.match(error.reason, /ECONNREFUSED/);
      assert.equal(error.attempts, 3);
      return true;
    });
    assert.equal(await attemptsMeasured('nobody-home', { error_type: 'ECONNREFUSED', http_response_status_code: '' }), 3);
  });

  test('backoff has full jitter: first retries wait anywhere in [0, base), not a fixed delay', async () => {
    const { downstream } = client({ retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 2, budget: { ratio: 1 } }, breaker: NO_BREAKER });
    const gaps: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      server.seen.length = 0;
      server.script(status(503), status(200));
      await downstream.get('/thing');
      const [first, second] = server.seen;
      assert.ok(first && second);
      gaps.push(second.at - first.at);
    }
    assert.ok(gaps.every((gap) => gap < 100 + MARGIN_MS), `gaps ${gaps.map(Math.round).join(', ')} exceed the 100 ms cap`);
    // All twelve above 70 ms has probability 0.3¹² with full jitter; a fixed 100 ms delay always does.
    assert.ok(gaps.some((gap) => gap < 70), `gaps ${gaps.map(Math.round).join(', ')} look unjittered`);
  });

  test('Retry-After is honoured when the deadline allows it, and skipped when it does not', async () => {
    const { downstream } = client({ retry: { maxDelayMs: 5_000 } });
    server.script(status(503, {}, { 'retry-after': '1' }), status(200));
    const { value, ms } = await elapsed(() => runWithDeadline(3_000, () => downstream.get('/thing')));
    assert.equal(value.status, 200);
    const [first, second] = server.seen;
    assert.ok(first && second);
    assert.ok(second.at - first.at >= 990, `retried after ${Math.round(second.at - first.at)} ms, before Retry-After`);
    assert.ok(ms < 1_000 + MARGIN_MS * 2);

    server.seen.length = 0;
    server.script(status(503, {}, { 'retry-after': '1' }), status(200));
    const short = await elapsed(() => runWithDeadline(600, () => downstream.get('/thing')));
    assert.equal(short.value.status, 503, 'waiting 1 s would break a 600 ms budget: the 503 is the answer');
    assert.equal(server.seen.length, 1);
    assert.ok(short.ms < MARGIN_MS, `took ${short.ms} ms`);
  });

  test('parseRetryAfter reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3'), 3_000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('the retry budget caps retries at its share of calls when everything fails', async () => {
    const { downstream, name } = client({ retry: { maxAttempts: 3, budget: { ratio: 0.1, minPerSecond: 0, windowMs: 10_000 } }, breaker: NO_BREAKER });
    server.fallback = status(503);
    const calls = 60;
    for (let i = 0; i < calls; i += 1) await downstream.get('/thing');
    const retries = server.seen.length - calls;
    // Without a budget: 2 retries per call, 120. With it: at most 10 % of the calls.
    assert.ok(retries <= calls * 0.1, `${retries} retries for ${calls} calls`);
    assert.ok(retries >= calls * 0.1 - 1, `only ${retries} retries: the budget should allow about ${calls * 0.1}`);
    assert.equal(await counter(httpClientRetries, { peer_service: name }), retries);
  });
});

describe('deadline', () => {
  test('a call made with 80 ms of budget left waits no longer, and tells the downstream', async () => {
    const { downstream } = client({ timeoutMs: 5_000 });
    // An open connection first: on a loaded machine, connecting alone can outlast 80 ms.
    await downstream.get('/warm-up');
    server.fallback = hang;
    const { ms } = await elapsed(() =>
      assert.rejects(
        runWithDeadline(80, () => downstream.get('/slow-with-budget')),
        (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'timeout',
      ),
    );
    assert.ok(ms < 80 + MARGIN_MS, `waited ${Math.round(ms)} ms`);
    // Written before the deadline's timer could fire, but the server may read it only after it did.
    await waitForRequest('/slow-with-budget');
    const sent = Number(server.seen.find((request) => request.url === '/slow-with-budget')?.headers['x-timeout-ms']);
    assert.ok(sent > 0 && sent <= 80, `x-timeout-ms ${sent}`);
  });

  test('a timed-out attempt is retried only within the budget; each attempt says what is left', async () => {
    const { downstream } = client({ timeoutMs: 100 });
    server.fallback = hang;
    const { ms } = await elapsed(() => assert.rejects(runWithDeadline(260, () => downstream.get('/slow-retried')), DownstreamUnavailableError));
    assert.ok(ms >= 250 && ms < 260 + MARGIN_MS, `gave up after ${Math.round(ms)} ms`);
    const budgets = server.seen.filter((request) => request.url === '/slow-retried').map((request) => Number(request.headers['x-timeout-ms']));
    // Two full attempts and, when the timers were punctual, a third with what was left (about 50 ms).
    assert.ok(budgets.length === 2 || budgets.length === 3, `attempts: ${budgets.join(', ')}`);
    assert.equal(budgets[0], 100);
    assert.ok(budgets.every((budget) => budget <= 100), `attempts were given ${budgets.join(', ')} ms`);
    if (budgets.length === 3) assert.ok((budgets[2] ?? 0) < 80, `the last attempt only had what was left: ${budgets.join(', ')}`);
  });

  test('with the budget spent nothing is sent', async () => {
    const { downstream } = client();
    await assert.rejects(
      runWithDeadline(2, () => downstream.get('/x')),
      (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'deadline_exceeded' && error.attempts === 1,
    );
    assert.equal(server.seen.length, 0);
  });

  test('outside a request the per-attempt timeout bounds the call', async () => {
    const { downstream } = client({ timeoutMs: 120, retry: { maxAttempts: 1 } });
    server.fallback = hang;
    const { ms } = await elapsed(() => assert.rejects(downstream.get('/slow-outside-request'), /no answer within 120 ms/));
    assert.ok(ms >= 110 && ms < 120 + MARGIN_MS, `took ${ms} ms`);
    // Its own path: a late attempt of the test before can reach the server after the list was reset.
    assert.equal(server.seen.find((request) => request.url === '/slow-outside-request')?.headers['x-timeout-ms'], '120');
    assert.equal(await attemptsMeasured(downstream.name, { error_type: 'timeout' }), 1);
  });

  test('the caller aborting ends the call without a retry', async () => {
    const { downstream } = client({ timeoutMs: 2_000 });
    server.fallback = hang;
    const controller = new AbortController();
    const call = downstream.get('/abort-me', { signal: controller.signal });
    await waitForRequest('/abort-me');
    controller.abort();
    await assert.rejects(call, (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'aborted');
    await delay(100);
    assert.equal(server.seen.filter((request) => request.url === '/abort-me').length, 1, 'not retried');
  });

  test('a finished call lets go of the request it was made in, though its budget runs for seconds', async () => {
    const { downstream } = client();
    // undici's own clock is a timer made on first use and kept: made here, outside the request.
    await downstream.get('/warm');
    // An idle keep-alive connection keeps the context of the last call it carried until it is used again
    // or closed (undici's idle timer): one request per connection, not one per call. Closed here.
    server.fallback = status(200, { ok: true }, { connection: 'close' });
    const { result: call, context: request } = inTrackedContext(() => runWithDeadline(5_000, () => downstream.get('/in-a-request')));
    await call;
    await delay(100);
    // One full collection: a timer of the call still running would keep the request through it.
    collectGarbage();
    assert.equal(request.deref(), undefined);
  });
});

describe('authentication and headers', () => {
  test('default headers on every call; the call’s own headers win; the request id travels', async () => {
    const { downstream } = client({}, { headers: { 'X-Tenant': 'blue', 'X-Mode': 'default' } });
    await runWithDeadline(1_000, () => downstream.get('/default-headers', { headers: { 'x-mode': 'call' } }), { requestId: 'req-9' });
    const headers = server.seen.find((request) => request.url === '/default-headers')?.headers;
    assert.equal(headers?.['x-tenant'], 'blue');
    assert.equal(headers?.['x-mode'], 'call');
    assert.equal(headers?.['x-request-id'], 'req-9');
  });

  test('api key in x-api-key, or in a header of choice', async () => {
    const { registry } = client();
    await registry.register('keyed', { baseUrl: server.url, auth: { type: 'api-key', key: 'k-123' } }).get('/x');
    await registry.register('keyed-2', { baseUrl: server.url, auth: { type: 'api-key', key: 'k-456', header: 'X-Service-Key' } }).get('/x');
    assert.equal(server.seen[0]?.headers['x-api-key'], 'k-123');
    assert.equal(server.seen[1]?.headers['x-service-key'], 'k-456');
  });

  test('basic auth', async () => {
    const { downstream } = client({}, { auth: { type: 'basic', username: 'movie', password: 'pa:ss' } });
    await downstream.get('/x');
    assert.equal(server.seen[0]?.headers['authorization'], `Basic ${Buffer.from('movie:pa:ss').toString('base64')}`);
  });

  test('bearer forwarded from the incoming request, and nothing outside one', async () => {
    const { downstream } = client({}, { auth: { type: 'bearer-forward' } });
    await runWithDeadline(1_000, () => downstream.get('/x'), { authorization: 'Bearer user-token' });
    await downstream.get('/x');
    assert.equal(server.seen[0]?.headers['authorization'], 'Bearer user-token');
    assert.equal(server.seen[1]?.headers['authorization'], undefined);
  });
});

describe('OAuth 2.0 client credentials', () => {
  let tokens: ScriptedServer;
  let issued = 0;

  before(async () => {
    tokens = await startScriptedServer();
  });
  after(() => tokens.close());

  /** Token endpoint issuing `token-<n>` with the given lifetime. */
  function issue(expiresIn: number | undefined): void {
    tokens.seen.length = 0;
    tokens.fallback = (_request, response) => {
      issued += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: `token-${issued}`, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) }));
    };
  }

  function oauthClient() {
    return client({}, { auth: { type: 'oauth2-client-credentials', tokenUrl: `${tokens.url}/oauth/token`, clientId: 'movie', clientSecret: 's3cret', scope: 'ratings:read' } });
  }

  test('one token fetch for many concurrent calls, sent as a bearer token; the token request is well-formed', async () => {
    issue(300);
    const { downstream } = oauthClient();
    const responses = await Promise.all(Array.from({ length: 20 }, () => downstream.get('/x')));
    assert.ok(responses.every((response) => response.status === 200));
    assert.equal(tokens.seen.length, 1, 'concurrent callers share one fetch');
    const token = `token-${issued}`;
    assert.ok(server.seen.every((request) => request.headers['authorization'] === `Bearer ${token}`));
    for (let i = 0; i < 5; i += 1) await downstream.get('/x');
    assert.equal(tokens.seen.length, 1, 'later calls reuse the cached token');

    const request = tokens.seen[0];
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/oauth/token');
    assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request?.headers['authorization'], `Basic ${Buffer.from('movie:s3cret').toString('base64')}`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request?.body)), { grant_type: 'client_credentials', scope: 'ratings:read' });
  });

  test('the token is refreshed once it expires', async () => {
    issue(1);
    const { downstream } = oauthClient();
    await downstream.get('/x');
    await downstream.get('/x');
    assert.equal(tokens.seen.length, 1);
    await delay(1_000);
    await downstream.get('/x');
    assert.equal(tokens.seen.length, 2, 'a token past its lifetime (less the margin) is fetched anew');
    const used = server.seen.map((request) => request.headers['authorization']);
    assert.equal(new Set(used).size, 2);
    assert.equal(used[1], used[0]);
  });

  test('a 401 drops the token, fetches a new one and repeats the call once', async () => {
    issue(300);
    const { downstream } = oauthClient();
    await downstream.get('/x');
    server.seen.length = 0;
    server.script(status(401));
    const response = await downstream.get('/x');
    assert.equal(response.status, 200);
    assert.equal(tokens.seen.length, 2);
    assert.equal(server.seen.length, 2);
    assert.notEqual(server.seen[0]?.headers['authorization'], server.seen[1]?.headers['authorization']);

    server.seen.length = 0;
    server.fallback = status(401);
    assert.equal((await downstream.get('/x')).status, 401, 'a second 401 is the answer');
    assert.equal(server.seen.length, 2, 'refreshed once, not in a loop');
    assert.equal(tokens.seen.length, 3);
  });

  test('a failing token endpoint is an auth failure: nothing reaches the downstream', async () => {
    tokens.seen.length = 0;
    tokens.fallback = status(500);
    const { downstream } = oauthClient();
    await assert.rejects(downstream.get('/x'), (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'auth' && /status 500/.test(error.reason));
    assert.equal(server.seen.length, 0);
  });
});

test('circuit_breaker_state starts closed for each registered downstream', async () => {
  const { name } = client();
  assert.equal(await counter(circuitBreakerState as never, { peer_service: name, state: 'closed' }), 1);
  assert.equal(await counter(circuitBreakerState as never, { peer_service: name, state: 'open' }), 0);
});
