import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Koa from 'koa';
import { z } from 'zod';
import { createApiApp } from '../src/http/api-app.js';
import { defineRoute } from '../src/http/route.js';
import { HealthRegistry } from '../src/health.js';
import { httpServerRejected } from '../src/metrics/registry.js';
import { inboundProtection } from '../src/http/inbound-protection.js';
import type { InboundProtectionSettings } from '../src/protection/settings.js';
import { capturingLogger, measuredRequests, serveApp, verifierFor, type ServedApp } from './support.js';

const served: ServedApp[] = [];
after(() => Promise.all(served.map((app) => app.close())));

/** A handler that waits for the test: requests stay in flight until `release()`. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrivals: Array<() => void> = [];
  let arrived = 0;
  return {
    opened,
    release: () => open(),
    arrive: () => {
      arrived += 1;
      for (const wake of arrivals.splice(0)) wake();
    },
    /** Resolves once `count` requests are inside the handler. */
    async inside(count: number): Promise<void> {
      while (arrived < count) await new Promise<void>((resolve) => arrivals.push(resolve));
    },
  };
}

async function listen(app: Koa): Promise<string> {
  const running = await serveApp(app);
  served.push(running);
  return running.url;
}

async function startApp(protection: InboundProtectionSettings | undefined) {
  const { logger, lines } = capturingLogger();
  const slow = gate();
  const app = createApiApp({
    logger,
    health: new HealthRegistry(),
    openapi: { title: 't', version: '1' },
    bodyLimit: '1kb',
    verifier: verifierFor(),
    ...(protection ? { protection } : {}),
    routes: [
      defineRoute({
        method: 'get',
        path: '/items/:id',
        operationId: 'getItem',
        summary: 'get',
        request: { params: z.object({ id: z.string() }) },
        responses: { 200: { description: 'ok' } },
        handler: (ctx, { params }) => {
          ctx.body = { id: params.id };
        },
      }),
      defineRoute({
        method: 'put',
        path: '/items/:id',
        operationId: 'putItem',
        summary: 'put',
        request: { params: z.object({ id: z.string() }), body: z.strictObject({ name: z.string() }) },
        responses: { 200: { description: 'ok' } },
        handler: (ctx, { params, body }) => {
          ctx.body = { id: params.id, name: body.name };
        },
      }),
      defineRoute({
        method: 'get',
        path: '/slow/:id',
        operationId: 'getSlow',
        summary: 'waits for the test',
        request: { params: z.object({ id: z.string() }) },
        responses: { 200: { description: 'ok' } },
        handler: async (ctx, { params }) => {
          slow.arrive();
          await slow.opened;
          ctx.body = { id: params.id };
        },
      }),
      defineRoute({
        method: 'get',
        path: '/boom',
        operationId: 'boom',
        summary: 'fails',
        responses: { 200: { description: 'never' } },
        handler: () => {
          throw new Error('handler failed');
        },
      }),
    ],
  });
  return { base: await listen(app), lines, slow };
}

async function call(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined };
}

async function rejected(reason: 'rate_limit' | 'overload'): Promise<number> {
  return (await httpServerRejected.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

test('over the rate: 429 problem+json with Retry-After from the bucket, counted, measured and logged with the route', async () => {
  // Half a token per second: no token comes back while the test runs.
  const { base, lines } = await startApp({ rateLimit: { ratePerSecond: 0.5, burst: 3 } });
  const rejectedBefore = await rejected('rate_limit');
  const measuredBefore = await measuredRequests('GET', '/items/:id', 429);

  for (const remaining of [2, 1, 0]) {
    const accepted = await call(`${base}/items/1`);
    assert.equal(accepted.status, 200);
    assert.equal(accepted.headers.get('ratelimit-policy'), '"inbound";q=3;w=6');
    assert.match(accepted.headers.get('ratelimit') ?? '', new RegExp(`^"inbound";r=${remaining};t=\\d+$`));
  }

  const refused = await call(`${base}/items/1`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('content-type'), 'application/problem+json');
  assert.equal(refused.headers.get('retry-after'), '2', 'one token takes 2 s at 0.5/s');
  assert.match(refused.headers.get('ratelimit') ?? '', /^"inbound";r=0;t=6$/);
  assert.ok(refused.headers.get('x-request-id'), 'earlier middleware ran');
  assert.deepEqual(refused.body, {
    type: 'https://cinemetrics.dev/problems/rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: 'This instance accepts 0.5 requests per second in bursts of up to 3; retry after 2 s',
    instance: '/items/1',
  });

  // Refused before the body is read: malformed JSON is not even looked at.
  const put = await call(`${base}/items/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":' });
  assert.equal(put.status, 429);
  // Every public path is limited, known or not.
  assert.equal((await call(`${base}/nothing`)).status, 429);

  // Probes, discovery and the OpenAPI document are never limited.
  for (let i = 0; i < 5; i++) {
    assert.equal((await call(`${base}/.well-known/alive`)).status, 200);
    assert.equal((await call(`${base}/.well-known/health`)).status, 200);
    assert.equal((await call(`${base}/openapi.json`)).status, 200);
    assert.equal((await call(`${base}/.well-known/jwks.json`)).status, 404, 'a service-owned /.well-known/ route is reached, not limited');
  }

  assert.equal((await rejected('rate_limit')) - rejectedBefore, 3);
  assert.equal((await measuredRequests('GET', '/items/:id', 429)) - measuredBefore, 1, 'the 429 is measured under its route template');
  assert.equal(await measuredRequests('PUT', '/items/:id', 429), 1);
  assert.equal(await measuredRequests('GET', 'unmatched', 429), 1);
  const logged = lines.filter((line) => line['msg'] === 'request completed' && line['http.status_code'] === 429);
  assert.deepEqual(
    logged.map((line) => [line['http.method'], line['http.route']]),
    [
      ['GET', '/items/:id'],
      ['PUT', '/items/:id'],
      ['GET', 'unmatched'],
    ],
  );
});

test('at MAX_IN_FLIGHT: 503 problem+json with Retry-After before the body is read; health still answers; slots come back', async () => {
  const { base, slow, lines } = await startApp({ maxInFlight: 2 });
  const before = await rejected('overload');
  const held = [call(`${base}/slow/a`), call(`${base}/slow/b`)];
  await slow.inside(2);

  const shed = await call(`${base}/items/1`);
  assert.equal(shed.status, 503);
  assert.equal(shed.headers.get('content-type'), 'application/problem+json');
  assert.equal(shed.headers.get('retry-after'), '1');
  assert.equal(shed.headers.get('ratelimit'), null, 'no rate limit configured, no RateLimit fields');
  assert.deepEqual(shed.body, {
    type: 'https://cinemetrics.dev/problems/overloaded',
    title: 'Overloaded',
    status: 503,
    detail: 'The service has too many requests in flight; retry after 1 s',
    instance: '/items/1',
  });
  // An oversized body would be a 413 if it were read; it is shed first.
  const large = await call(`${base}/items/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(5000) }) });
  assert.equal(large.status, 503);
  assert.equal((await call(`${base}/.well-known/health`)).status, 200);
  assert.equal((await call(`${base}/.well-known/alive`)).status, 200);
  assert.equal((await call(`${base}/openapi.json`)).status, 200);
  assert.equal((await rejected('overload')) - before, 2);

  slow.release();
  for (const response of await Promise.all(held)) assert.equal(response.status, 200, 'admitted requests finish normally');
  assert.equal((await call(`${base}/items/1`)).status, 200, 'slots are given back');
  const shedLines = lines.filter((line) => line['msg'] === 'request completed' && line['http.status_code'] === 503);
  assert.deepEqual(shedLines.map((line) => line['http.route']), ['/items/:id', '/items/:id']);
  assert.equal(shedLines[0]?.['level'], 'error', '5xx access-log lines are errors');
});

test('a failing handler, a 404 and a 405 all give their slot back', async () => {
  const { base } = await startApp({ maxInFlight: 1 });
  for (let i = 0; i < 3; i++) {
    assert.equal((await call(`${base}/boom`)).status, 500);
    assert.equal((await call(`${base}/nothing`)).status, 404);
    assert.equal((await call(`${base}/items/1`, { method: 'DELETE' })).status, 405);
  }
  assert.equal((await call(`${base}/items/1`)).status, 200);
});

test('the rate limit is checked first: over the rate is 429 even when the instance is saturated', async () => {
  const { base, slow } = await startApp({ rateLimit: { ratePerSecond: 0.5, burst: 1 }, maxInFlight: 1 });
  const held = call(`${base}/slow/a`);
  await slow.inside(1);
  assert.equal((await call(`${base}/items/1`)).status, 429);
  slow.release();
  assert.equal((await held).status, 200);
});

test('with no policy configured nothing is refused and no RateLimit fields are sent', async () => {
  const { base } = await startApp({});
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => call(`${base}/items/${i}`)));
  assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
  assert.equal(responses[0]?.headers.get('ratelimit'), null);
  const bare = await startApp(undefined);
  assert.equal((await call(`${bare.base}/items/1`)).status, 200);
});

test('event-loop lag above the limit sheds with 503 (overload) until it falls back under it', async () => {
  let lagMs = 0;
  const app = new Koa();
  app.use(inboundProtection({ eventLoopDelayLimitMs: 100 }, { eventLoop: { delayMs: () => lagMs } }));
  app.use((ctx) => {
    ctx.body = { ok: true };
  });
  const base = await listen(app);
  const before = await rejected('overload');
  assert.equal((await call(`${base}/work`)).status, 200);
  lagMs = 100;
  assert.equal((await call(`${base}/work`)).status, 200, 'at the limit is not over it');
  lagMs = 250;
  const shed = await call(`${base}/work`);
  assert.equal(shed.status, 503);
  assert.equal(shed.headers.get('retry-after'), '1');
  assert.equal(shed.body?.['type'], 'https://cinemetrics.dev/problems/overloaded');
  assert.equal((await call(`${base}/.well-known/alive`)).status, 200, 'probes are exempt wherever the middleware is mounted');
  lagMs = 20;
  assert.equal((await call(`${base}/work`)).status, 200);
  assert.equal((await rejected('overload')) - before, 1);
});

test('the event-loop delay monitor reads about 0 when idle and the lag when every turn is late', async () => {
  const { EventLoopDelayMonitor } = await import('../src/protection/event-loop-delay.js');
  // Sampled by hand, so the test decides what each interval contains.
  const monitor = new EventLoopDelayMonitor({ sampleIntervalMs: 60_000, resolutionMs: 10 });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    monitor.sample();
    const idle = monitor.delayMs();
    // Every 45 ms, 40 ms of synchronous work: each turn of the loop is late by tens of ms.
    const busy = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until);
    }, 45);
    await new Promise((resolve) => setTimeout(resolve, 600));
    clearInterval(busy);
    monitor.sample();
    const loaded = monitor.delayMs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    monitor.sample();
    const recovered = monitor.delayMs();
    assert.ok(idle < 8, `idle lag ${idle} ms`);
    assert.ok(loaded > 15, `busy lag ${loaded} ms`);
    assert.ok(recovered < 8, `lag after the work stopped ${recovered} ms`);
  } finally {
    monitor.stop();
  }
});
