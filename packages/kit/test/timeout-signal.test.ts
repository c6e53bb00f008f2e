import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { timeoutSignal } from '../src/timeout-signal.js';
import { collectGarbage, inTrackedContext } from './support.js';

test('the signal aborts with a TimeoutError once the delay has passed', async () => {
  const { signal } = timeoutSignal(20);
  assert.equal(signal.aborted, false);
  await once(signal, 'abort');
  assert.ok(signal.reason instanceof DOMException);
  assert.equal(signal.reason.name, 'TimeoutError');
});

test("the signal aborts with the parent's reason when the parent aborts first", () => {
  const parent = new AbortController();
  const { signal, clear } = timeoutSignal(60_000, parent.signal);
  const reason = new Error('caller gave up');
  parent.abort(reason);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
  clear();
});

test('an already aborted parent gives an aborted signal', () => {
  const parent = new AbortController();
  parent.abort(new Error('gone'));
  const { signal } = timeoutSignal(60_000, parent.signal);
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as Error).message, 'gone');
});

test('once cleared, neither the delay nor the parent aborts the signal', async () => {
  const parent = new AbortController();
  const { signal, clear } = timeoutSignal(20, parent.signal);
  clear();
  await new Promise((resolve) => setTimeout(resolve, 50));
  parent.abort();
  assert.equal(signal.aborted, false);
});

test('once cleared, the timer no longer holds the async context it was started in', async () => {
  const { result: timeout, context } = inTrackedContext(() => timeoutSignal(60_000));
  timeout.clear();
  await nextTurn();
  // One full collection: a timer still running would keep the context through it.
  collectGarbage();
  assert.equal(context.deref(), undefined);
});
