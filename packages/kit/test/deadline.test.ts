import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Context } from 'koa';
import {
  currentRequestScope,
  parseDeadlineHeader,
  remainingBudgetMs,
  requestDeadline,
  runWithDeadline,
  RetryBudget,
  type RequestDeadlineOptions,
} from '../src/index.js';

/** Just what the middleware reads from a Koa context. */
function fakeContext(headers: Record<string, string>, requestId?: string): Context {
  return { get: (name: string) => headers[name.toLowerCase()] ?? '', state: { requestId } } as unknown as Context;
}

async function budgetSeen(headers: Record<string, string>, defaultMs = 1_000, floor: Partial<RequestDeadlineOptions> = {}) {
  let seen: ReturnType<typeof currentRequestScope>;
  await requestDeadline({ defaultMs, floorMs: 0, ...floor })(fakeContext(headers, 'req-1'), () => {
    seen = currentRequestScope();
    return Promise.resolve();
  });
  return seen;
}

test('x-timeout-ms is parsed as whole milliseconds; anything else is ignored', () => {
  assert.equal(parseDeadlineHeader('250'), 250);
  assert.equal(parseDeadlineHeader(' 80 '), 80);
  assert.equal(parseDeadlineHeader('0'), 0);
  for (const bad of ['', '-5', '1.5', '100ms', '1e3', '99999999999', undefined]) assert.equal(parseDeadlineHeader(bad), undefined, String(bad));
});

test('a request gets the service default, or the caller’s shorter budget, never a longer one', async () => {
  assert.equal((await budgetSeen({}))?.budgetMs, 1_000);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '300' }))?.budgetMs, 300);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '60000' }))?.budgetMs, 1_000);
  assert.equal((await budgetSeen({ 'x-timeout-ms': 'soon' }))?.budgetMs, 1_000);
});

test('an untrusted caller cannot shorten the budget below the floor; a trusted one can', async () => {
  const floor = { floorMs: 50 };
  assert.equal((await budgetSeen({ 'x-timeout-ms': '0' }, 1_000, floor))?.budgetMs, 50);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '10' }, 1_000, floor))?.budgetMs, 50);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '300' }, 1_000, floor))?.budgetMs, 300);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '0' }, 30, floor))?.budgetMs, 30, 'the floor never exceeds the service budget');
  const trusted = { ...floor, isTrustedCaller: () => true };
  assert.equal((await budgetSeen({ 'x-timeout-ms': '0' }, 1_000, trusted))?.budgetMs, 0);
  assert.equal((await budgetSeen({ 'x-timeout-ms': '60000' }, 1_000, trusted))?.budgetMs, 1_000);
});

test('the scope carries the deadline, the caller’s Authorization and the request id through async work', async () => {
  await requestDeadline({ defaultMs: 500, floorMs: 0 })(fakeContext({ authorization: 'Bearer abc' }, 'req-42'), async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const scope = currentRequestScope();
    assert.equal(scope?.authorization, 'Bearer abc');
    assert.equal(scope?.requestId, 'req-42');
    const left = remainingBudgetMs() ?? 0;
    assert.ok(left <= 485 && left > 300, `left ${left}`);
  });
  assert.equal(currentRequestScope(), undefined, 'nothing leaks out of the request');
});

test('runWithDeadline never extends the enclosing budget', () => {
  runWithDeadline(100, () => {
    runWithDeadline(10_000, () => {
      const left = remainingBudgetMs() ?? 0;
      assert.ok(left <= 100, `inner scope got ${left} ms`);
    });
  });
});

test('the retry budget allows ratio × calls plus a minimum, over a sliding window', () => {
  let now = 0;
  const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0.2, windowMs: 10_000 }, () => now);
  // Reserve: 0.2/s × 10 s = 2 retries with no calls at all.
  assert.equal(budget.tryAcquireRetry(), true);
  assert.equal(budget.tryAcquireRetry(), true);
  assert.equal(budget.tryAcquireRetry(), false);
  for (let i = 0; i < 30; i += 1) budget.recordCall();
  // 2 + 30 × 0.1 = 5 in all: 3 more.
  assert.equal([1, 2, 3, 4].map(() => budget.tryAcquireRetry()).filter(Boolean).length, 3);
  assert.deepEqual(budget.totals(), { calls: 30, retries: 5 });
  // Eleven seconds on, the window has forgotten all of it.
  now = 11_000;
  assert.deepEqual(budget.totals(), { calls: 0, retries: 0 });
  assert.equal(budget.tryAcquireRetry(), true);
});
