import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthRegistry } from '../src/health.js';

test('ok only when every critical dependency is up', async () => {
  const health = new HealthRegistry(50);
  health.register({ name: 'database', check: () => Promise.resolve() });
  health.register({ name: 'rating', critical: false, check: () => Promise.reject(new Error('connection refused')) });
  const report = await health.report();
  assert.equal(report.status, 'ok');
  assert.equal(report.checks['rating']?.status, 'down');
  assert.equal(report.checks['rating']?.error, 'connection refused');

  health.register({ name: 'metadata', check: () => new Promise(() => undefined) });
  const slow = await health.report();
  assert.equal(slow.status, 'unavailable');
  assert.equal(slow.checks['metadata']?.error, 'no answer within 50 ms');
});

test('stopping wins over everything', async () => {
  const health = new HealthRegistry();
  health.register({ name: 'database', check: () => Promise.resolve() });
  health.markStopping();
  assert.equal((await health.report()).status, 'stopping');
});
