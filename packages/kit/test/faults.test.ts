import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, loadConfig, serviceEnvWithDefaults } from '../src/config.js';
import { burnCpu } from '../src/faults/cpu-burn.js';
import { FaultInjector, INJECTED_FAULT_TYPE, UnknownFaultRouteError } from '../src/faults/injector.js';
import { LeakStore } from '../src/faults/memory-leak.js';
import { faultSetSchema, faultRuleMatches, sampleFaultLatencyMs, type FaultRule } from '../src/faults/rules.js';
import { defineRoute } from '../src/http/route.js';
import { fieldErrors } from '../src/http/validation.js';
import { registry } from '../src/metrics/registry.js';
import { capturingLogger, serveApp, testApiApp, type ServedApp } from './support.js';

function errorsOf(value: unknown): Array<{ field: string; rule: string; message: string }> {
  const result = faultSetSchema.safeParse(value, { reportInput: true });
  assert.equal(result.success, false, `expected ${JSON.stringify(value)} to be rejected`);
  return fieldErrors('body', (result as { error: z.ZodError }).error);
}

test('valid rules parse: every fault, every latency shape, wildcard and templates', () => {
  const rules = [
    { route: '*', errorRate: 0.25 },
    { route: '/metadata/:id', method: 'GET', latency: { fixedMs: 50 } },
    { route: '/metadata', latency: { minMs: 10, maxMs: 30 } },
    { route: '*', latency: { meanMs: 100, stddevMs: 20 } },
    { route: '*', hang: true },
    { route: '*', cpuBurnMs: 5, leakKbPerRequest: 64 },
  ];
  assert.deepEqual(faultSetSchema.parse({ rules }).rules, rules);
});

test('bad rules are rejected naming the field and rule', () => {
  assert.deepEqual(errorsOf({ rules: [{ route: '*', errorRate: 1.5 }] }), [
    { field: 'body.rules[0].errorRate', rule: 'too_big', message: 'Too big: expected number to be <=1' },
  ]);
  assert.equal(errorsOf({ rules: [{ route: 'metadata', errorRate: 0.1 }] })[0]?.field, 'body.rules[0].route');
  assert.equal(errorsOf({ rules: [{ route: '*', method: 'FETCH', errorRate: 0.1 }] })[0]?.field, 'body.rules[0].method');
  assert.equal(errorsOf({ rules: [{ route: '*', latency: { fixedMs: -1 } }] })[0]?.field, 'body.rules[0].latency.fixedMs');
  assert.deepEqual(errorsOf({ rules: [{ route: '*', latency: { minMs: 50, maxMs: 10 } }] }), [
    { field: 'body.rules[0].latency.maxMs', rule: 'custom', message: 'must be at least minMs' },
  ]);
  const shape = errorsOf({ rules: [{ route: '*', latency: { minMs: 5 } }] });
  assert.equal(shape[0]?.field, 'body.rules[0].latency');
  assert.match(shape[0]?.message ?? '', /fixedMs.*minMs.*meanMs/);
  assert.deepEqual(errorsOf({ rules: [{ route: '*', errorRate: 0.1, color: 'red' }] }), [
    { field: 'body.rules[0].color', rule: 'unrecognized_key', message: 'is not a known field' },
  ]);
  assert.equal(errorsOf({ rules: [{ route: '*' }] })[0]?.field, 'body.rules[0]', 'a rule without a fault');
  assert.equal(errorsOf({ rules: [{ route: '*', cpuBurnMs: 0 }] })[0]?.field, 'body.rules[0].cpuBurnMs');
  assert.equal(errorsOf({ rules: [{ route: '*', leakKbPerRequest: 1.5 }] })[0]?.field, 'body.rules[0].leakKbPerRequest');
  assert.equal(errorsOf({})[0]?.rule, 'required');
});

test('rules match on the route template and method, never on an unmatched request', () => {
  const rule = (extra: Partial<FaultRule>): FaultRule => ({ route: '/metadata/:id', errorRate: 1, ...extra });
  assert.equal(faultRuleMatches(rule({}), 'GET', '/metadata/:id'), true);
  assert.equal(faultRuleMatches(rule({}), 'PUT', '/metadata/:id'), true);
  assert.equal(faultRuleMatches(rule({}), 'GET', '/metadata'), false);
  assert.equal(faultRuleMatches(rule({ method: 'PUT' }), 'GET', '/metadata/:id'), false);
  assert.equal(faultRuleMatches(rule({ method: 'PUT' }), 'put', '/metadata/:id'), true);
  assert.equal(faultRuleMatches(rule({ route: '*' }), 'GET', '/metadata'), true);
  assert.equal(faultRuleMatches(rule({ route: '*' }), 'GET', undefined), false);
});

test('latency draws: fixed, uniform within bounds, normal clamped at zero', () => {
  assert.equal(sampleFaultLatencyMs({ fixedMs: 42 }), 42);
  assert.equal(sampleFaultLatencyMs({ minMs: 10, maxMs: 30 }, () => 0), 10);
  assert.equal(sampleFaultLatencyMs({ minMs: 10, maxMs: 30 }, () => 0.5), 20);
  for (let i = 0; i < 1000; i += 1) {
    const value = sampleFaultLatencyMs({ minMs: 10, maxMs: 30 });
    assert.ok(value >= 10 && value <= 30, String(value));
  }
  const draws = Array.from({ length: 20_000 }, () => sampleFaultLatencyMs({ meanMs: 100, stddevMs: 20 }));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length);
  assert.ok(Math.abs(mean - 100) < 2, `mean ${mean}`);
  assert.ok(Math.abs(sd - 20) < 2, `stddev ${sd}`);
  const clamped = Array.from({ length: 1000 }, () => sampleFaultLatencyMs({ meanMs: 1, stddevMs: 50 }));
  assert.ok(clamped.every((value) => value >= 0));
  assert.ok(clamped.some((value) => value === 0), 'negative draws become 0');
});

test('FAULTS is validated at start-up and named in the error', () => {
  const schema = serviceEnvWithDefaults({ PORT: 1, ADMIN_PORT: 2 });
  const parsed = loadConfig(schema, { FAULTS: '{"rules":[{"route":"*","errorRate":0.5}]}' });
  assert.deepEqual(parsed.FAULTS, { rules: [{ route: '*', errorRate: 0.5 }] });
  assert.equal(loadConfig(schema, {}).FAULTS, undefined);
  assert.throws(() => loadConfig(schema, { FAULTS: 'errorRate=1' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /FAULTS: must be JSON/);
    return true;
  });
  assert.throws(() => loadConfig(schema, { FAULTS: '{"rules":[{"route":"*","errorRate":2}]}' }), /FAULTS\.rules\.0\.errorRate/);
});

test('burnCpu busies the thread for the time asked, under its own name', () => {
  assert.equal(burnCpu.name, 'burnCpu');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  burnCpu(60);
  const elapsed = performance.now() - started;
  const cpuMs = process.cpuUsage(cpuBefore).user / 1000;
  assert.ok(elapsed >= 60, `returned after ${elapsed} ms`);
  // Busy, not asleep: a sleeping fault uses a few microseconds of CPU in 60 ms. The bound is loose on
  // purpose: other test processes share the cores, and a loaded machine may give the thread only a
  // small part of each millisecond.
  assert.ok(cpuMs >= 1, `CPU time ${cpuMs} ms`);
});

test('the leak store retains per key, frees removed keys and stays under its cap', () => {
  const store = new LeakStore(10 * 1024);
  store.leakMemory('a', 1024);
  store.leakMemory('a', 1024);
  store.leakMemory('b', 4096);
  assert.equal(store.bytes, 6 * 1024);
  store.retainOnly(new Set(['b']));
  assert.equal(store.bytes, 4096);
  for (let i = 0; i < 100; i += 1) store.leakMemory('b', 1024);
  assert.ok(store.bytes <= 10 * 1024, `capped: ${store.bytes}`);
  assert.ok(store.bytes >= 9 * 1024, `still large: ${store.bytes}`);
  store.retainOnly(new Set());
  assert.equal(store.bytes, 0);
});

test('leaked memory is real heap and is given back when the rule goes', async () => {
  const { logger } = capturingLogger();
  const faults = new FaultInjector({ logger, routes: [{ method: 'get', path: '/x' }] });
  faults.replace([{ route: '*', leakKbPerRequest: 1024 }], 'admin');
  const ctx = { method: 'GET', routerPath: '/x' } as never;
  for (let i = 0; i < 20; i += 1) await faults.middleware(ctx, () => Promise.resolve());
  assert.equal(faults.leakedBytes, 20 * 1024 * 1024);
  faults.replace([{ route: '*', errorRate: 0 }], 'admin');
  assert.equal(faults.leakedBytes, 0);
});

// In-process app: the injector wired as the kit wires it, behind real HTTP.
const { logger, lines } = capturingLogger();
let randomValue = 0;
const faults = new FaultInjector({
  logger,
  random: () => randomValue,
  routes: [
    { method: 'get', path: '/items/:id' },
    { method: 'get', path: '/items' },
  ],
});
let served: ServedApp;
let base: string;

before(async () => {
  const app = testApiApp({
    logger,
    routeHooks: [faults.middleware],
    routes: [
      defineRoute({
        method: 'get',
        path: '/items/:id',
        operationId: 'getItem',
        summary: 'get',
        request: { params: z.object({ id: z.string().regex(/^\d+$/) }) },
        responses: { 200: { description: 'ok' } },
        handler: (ctx, { params }) => {
          ctx.body = { id: params.id };
        },
      }),
      defineRoute({
        method: 'get',
        path: '/items',
        operationId: 'listItems',
        summary: 'list',
        responses: { 200: { description: 'ok' } },
        handler: (ctx) => {
          ctx.body = { items: [] };
        },
      }),
    ],
  });
  served = await serveApp(app);
  base = served.url;
});

after(async () => {
  faults.releaseHangs();
  await served.close();
});

async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function counter(fault: string): Promise<number> {
  const metric = await registry.getSingleMetric('fault_injections')?.get();
  return metric?.values.find((value) => value.labels['fault'] === fault)?.value ?? 0;
}

test('errorRate answers a 500 injected-fault problem on the matching route only, before validation', async () => {
  faults.replace([{ route: '/items/:id', errorRate: 0.5 }], 'admin');
  const errorsBefore = await counter('error');
  randomValue = 0.4;
  const failed = await fetch(`${base}/items/7`);
  assert.equal(failed.status, 500);
  assert.equal(failed.headers.get('content-type'), 'application/problem+json');
  const problem = (await failed.json()) as { type: string; status: number; route: string };
  assert.equal(problem.type, INJECTED_FAULT_TYPE);
  assert.equal(problem.route, '/items/:id');
  assert.equal((await fetch(`${base}/items/not-a-number`)).status, 500, 'the fault runs before validation');
  randomValue = 0.6;
  assert.equal((await fetch(`${base}/items/7`)).status, 200, 'draws above the rate pass');
  randomValue = 0;
  assert.equal((await fetch(`${base}/items`)).status, 200, 'another route is untouched');
  assert.equal((await fetch(`${base}/.well-known/alive`)).status, 200, 'well-known routes are untouched');
  assert.equal((await fetch(`${base}/openapi.json`)).status, 200);
  assert.equal((await fetch(`${base}/nowhere`)).status, 404, 'unmatched paths are untouched');
  assert.equal((await counter('error')) - errorsBefore, 2);
  faults.replace([], 'admin');
  assert.equal((await fetch(`${base}/items/7`)).status, 200);
});

test('a method filter limits the rule; a wildcard covers every route', async () => {
  randomValue = 0;
  faults.replace([{ route: '*', method: 'PUT', errorRate: 1 }], 'admin');
  assert.equal((await fetch(`${base}/items/7`)).status, 200);
  faults.replace([{ route: '*', method: 'GET', errorRate: 1 }], 'admin');
  assert.equal((await fetch(`${base}/items/7`)).status, 500);
  assert.equal((await fetch(`${base}/items`)).status, 500);
  faults.replace([], 'admin');
});

test('latency delays the matching route', async () => {
  faults.replace([{ route: '/items', latency: { fixedMs: 150 } }], 'admin');
  let started = performance.now();
  assert.equal((await fetch(`${base}/items`)).status, 200);
  assert.ok(performance.now() - started >= 145, 'delayed');
  started = performance.now();
  await (await fetch(`${base}/items/1`)).arrayBuffer();
  assert.ok(performance.now() - started < 100, 'the other route is not');
  faults.replace([], 'admin');
});

test('hang answers nothing until the client gives up, or until released at shutdown (503)', async () => {
  faults.replace([{ route: '/items/:id', hang: true }], 'admin');
  await assert.rejects(fetch(`${base}/items/1`, { signal: AbortSignal.timeout(300) }), /TimeoutError|aborted/i);
  const abandoned = () => lines.filter((line) => line['msg'] === 'request completed' && line['http.status_code'] === 499).length;
  await waitFor(() => abandoned() === 1);
  // A client gone during an earlier fault (latency) must not leave its request hanging on.
  faults.replace([{ route: '/items/:id', latency: { fixedMs: 200 }, hang: true }], 'admin');
  await assert.rejects(fetch(`${base}/items/1`, { signal: AbortSignal.timeout(50) }), /TimeoutError|aborted/i);
  await waitFor(() => abandoned() === 2);
  faults.replace([{ route: '/items/:id', hang: true }], 'admin');
  const pending = fetch(`${base}/items/2`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  faults.releaseHangs();
  const released = await pending;
  assert.equal(released.status, 503);
  assert.equal(((await released.json()) as { detail: string }).detail, 'The service is shutting down');
  faults.replace([], 'admin');
});

test('rules naming a route the service lacks are refused; changes are logged with a constant message', () => {
  assert.throws(() => faults.replace([{ route: '/items/{id}', errorRate: 1 }], 'admin'), (error: unknown) => {
    assert.ok(error instanceof UnknownFaultRouteError);
    assert.equal(error.problems[0]?.index, 0);
    assert.match(error.problems[0]?.message ?? '', /\/items\/:id, \/items/);
    return true;
  });
  faults.replace([{ route: '*', errorRate: 0.1 }], 'environment');
  const logged = lines.filter((line) => line['msg'] === 'fault rules changed').at(-1);
  assert.deepEqual(logged?.['rules'], [{ route: '*', errorRate: 0.1 }]);
  assert.equal(logged?.['source'], 'environment');
  faults.replace([], 'admin');
});
