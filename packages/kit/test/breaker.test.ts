import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { circuitBreakerState, DEFAULT_DOWNSTREAM_POLICY, DownstreamRegistry, DownstreamUnavailableError, mergePolicy } from '../src/index.js';
import { capturingLogger } from './support.js';
import { replies, startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';
const { delayed, status } = replies;

/**
 * The circuit breaker of one downstream, against a scripted server that can be "down" (its routes
 * answer 500, its liveness probe 503) and "up" again on cue. Real services: tests/resilience.
 */

const PROBE_INTERVAL_MS = 300;
const MARGIN_MS = 300;

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

function down(): void {
  server.fallback = status(500);
  server.alive = status(503);
}

function up(): void {
  server.fallback = status(200, { ok: true });
  server.alive = status(200, { status: 'alive' });
}

function breakerClient(halfOpenCalls = 1) {
  const { logger, lines } = capturingLogger();
  const registry = new DownstreamRegistry({
    logger,
    policy: mergePolicy(DEFAULT_DOWNSTREAM_POLICY, {
      // 500 is not retried, so each call is one attempt and the counts below are exact.
      breaker: { failureRatio: 0.5, windowMs: 10_000, minCalls: 5, probeIntervalMs: PROBE_INTERVAL_MS, halfOpenCalls },
    }),
  });
  registries.push(registry);
  names += 1;
  const name = `breaker-${names}`;
  const downstream = registry.register(name, { baseUrl: server.url });
  server.seen.length = 0;
  server.probes.length = 0;
  server.script();
  up();
  return { downstream, name, lines };
}

async function gauge(peer: string): Promise<Record<string, number>> {
  const { values } = await circuitBreakerState.get();
  return Object.fromEntries(values.filter((value) => value.labels.peer_service === peer).map((value) => [String(value.labels.state), value.value]));
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

const transitions = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line['msg'] === 'circuit breaker state changed').map((line) => `${String(line['from'])}→${String(line['to'])}`);

test('opens after the configured failures, fails fast while open, probes, half-opens and closes on success', async () => {
  const { downstream, name, lines } = breakerClient();
  down();
  for (let i = 0; i < 4; i += 1) assert.equal((await downstream.get('/x')).status, 500);
  assert.equal(downstream.breakerState, 'closed', 'four calls are fewer than the minimum of five');
  assert.equal((await downstream.get('/x')).status, 500);
  assert.equal(downstream.breakerState, 'open', 'five failures out of five open it');
  assert.deepEqual(await gauge(name), { closed: 0, open: 1, half_open: 0 });

  // Open: nothing is sent, the answer is immediate.
  const started = performance.now();
  for (let i = 0; i < 20; i += 1) {
    await assert.rejects(downstream.get('/x'), (error: unknown) => error instanceof DownstreamUnavailableError && error.kind === 'circuit_open' && error.attempts === 1);
  }
  assert.ok(performance.now() - started < 250, 'failing fast takes no time');
  assert.equal(server.seen.length, 5, 'no call reached the downstream while open');

  // Probes run at the interval and keep it open while the downstream is not alive.
  await waitFor('two failed probes', () => server.probes.length >= 2, PROBE_INTERVAL_MS * 2 + MARGIN_MS);
  assert.equal(downstream.breakerState, 'open');
  const gap = (server.probes[1]?.at ?? 0) - (server.probes[0]?.at ?? 0);
  assert.ok(gap >= PROBE_INTERVAL_MS - 20, `probes ${Math.round(gap)} ms apart`);

  up();
  await waitFor('half-open after a successful probe', () => downstream.breakerState === 'half_open', PROBE_INTERVAL_MS + MARGIN_MS);
  assert.deepEqual(await gauge(name), { closed: 0, open: 0, half_open: 1 });
  assert.equal(server.seen.length, 5, 'a probe is not a call');

  // The trial call goes through and closes it.
  assert.equal((await downstream.get('/x')).status, 200);
  assert.equal(downstream.breakerState, 'closed');
  assert.deepEqual(await gauge(name), { closed: 1, open: 0, half_open: 0 });
  assert.deepEqual(transitions(lines), ['closed→open', 'open→half_open', 'half_open→closed']);
  const opened = lines.find((line) => line['msg'] === 'circuit breaker state changed' && line['to'] === 'open');
  assert.equal(opened?.['level'], 'warn');
  assert.equal(opened?.['peer_service'], name);
  assert.equal(opened?.['reason'], 'status 500');
});

test('half-open lets only the configured number of trial calls through; the others fail fast', async () => {
  const { downstream } = breakerClient(2);
  down();
  for (let i = 0; i < 5; i += 1) await downstream.get('/x');
  assert.equal(downstream.breakerState, 'open');
  up();
  await waitFor('half-open', () => downstream.breakerState === 'half_open', PROBE_INTERVAL_MS + MARGIN_MS);
  server.seen.length = 0;
  server.fallback = delayed(100, status(200));
  const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => downstream.get('/x')));
  const passed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const refused = outcomes.filter(
    (outcome) => outcome.status === 'rejected' && outcome.reason instanceof DownstreamUnavailableError && outcome.reason.kind === 'circuit_open',
  );
  assert.equal(passed.length, 2, 'two trial calls');
  assert.equal(refused.length, 4);
  assert.equal(server.seen.length, 2);
  assert.equal(downstream.breakerState, 'closed', 'both trials succeeded');
});

test('a failed trial reopens it and probing starts again', async () => {
  const { downstream, lines } = breakerClient();
  down();
  for (let i = 0; i < 5; i += 1) await downstream.get('/x');
  // Alive again, but the route still fails: the probe lets a trial through, the trial fails.
  server.alive = status(200);
  await waitFor('half-open', () => downstream.breakerState === 'half_open', PROBE_INTERVAL_MS + MARGIN_MS);
  assert.equal((await downstream.get('/x')).status, 500);
  assert.equal(downstream.breakerState, 'open');
  const probes = server.probes.length;
  up();
  await waitFor('a new probe', () => server.probes.length > probes, PROBE_INTERVAL_MS + MARGIN_MS);
  await waitFor('half-open again', () => downstream.breakerState === 'half_open', MARGIN_MS);
  assert.equal((await downstream.get('/x')).status, 200);
  assert.deepEqual(transitions(lines), ['closed→open', 'open→half_open', 'half_open→open', 'open→half_open', 'half_open→closed']);
});

test('4xx answers never open it; a mix below the failure ratio does not either', async () => {
  const { downstream } = breakerClient();
  server.fallback = status(404);
  for (let i = 0; i < 10; i += 1) await downstream.get('/x');
  assert.equal(downstream.breakerState, 'closed');
  // 5 failures among 15 calls in the window: a third, below one half.
  server.fallback = status(500);
  for (let i = 0; i < 5; i += 1) await downstream.get('/x');
  assert.equal(downstream.breakerState, 'closed');
});

test('timeouts count as failures', async () => {
  const { downstream } = breakerClient();
  server.fallback = () => undefined;
  for (let i = 0; i < 5; i += 1) {
    await assert.rejects(downstream.get('/x', { timeoutMs: 30, deadlineMs: 60 }), DownstreamUnavailableError);
  }
  assert.equal(downstream.breakerState, 'open');
});
