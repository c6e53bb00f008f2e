import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../src/protection/token-bucket.js';
import { ConcurrencyLimit } from '../src/protection/concurrency-limit.js';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function takeAll(bucket: TokenBucket): number {
  let taken = 0;
  while (bucket.tryTake().allowed) taken += 1;
  return taken;
}

test('a new bucket is full: exactly `burst` requests pass at once, the next one is refused', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(20, 10, clock.now);
  const results = Array.from({ length: 11 }, () => bucket.tryTake());
  assert.deepEqual(
    results.slice(0, 10).map((result) => result.allowed && result.remaining),
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
  );
  assert.deepEqual(results[10], { allowed: false, retryAfterSeconds: 1 });
});

test('tokens come back at the configured rate, including fractions of a token', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(20, 10, clock.now);
  takeAll(bucket);
  clock.advance(49); // 0.98 of a token
  assert.equal(bucket.tryTake().allowed, false);
  clock.advance(1); // 1.0
  assert.equal(bucket.tryTake().allowed, true);
  assert.equal(bucket.tryTake().allowed, false);
  clock.advance(250); // 5 tokens
  assert.equal(takeAll(bucket), 5);
  clock.advance(75); // 1.5 tokens: one now, the half stays for later
  assert.equal(takeAll(bucket), 1);
  clock.advance(25); // the half plus another half
  assert.equal(takeAll(bucket), 1);
});

test('a refusal always asks for at least a second, even when the token arrives just after it', () => {
  // The clock's readings, in order: construction, the first take, the refused take, and later ones
  // (where a token has arrived).
  const readings = [0, 0, 49.99, 50.5];
  const bucket = new TokenBucket(20, 1, () => readings.shift() ?? 50.5);
  assert.equal(bucket.tryTake().allowed, true);
  assert.deepEqual(bucket.tryTake(), { allowed: false, retryAfterSeconds: 1 });
});

test('idle time never earns more than the burst', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(20, 10, clock.now);
  takeAll(bucket);
  clock.advance(3_600_000);
  assert.equal(bucket.available(), 10);
  assert.equal(takeAll(bucket), 10);
});

test('over a long run the admitted rate is the configured rate plus the initial burst', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(20, 10, clock.now);
  let admitted = 0;
  // 100 attempts every 10 ms for 10 s: far above the rate.
  for (let tick = 0; tick < 1_000; tick++) {
    for (let attempt = 0; attempt < 100; attempt++) if (bucket.tryTake().allowed) admitted += 1;
    clock.advance(10);
  }
  // The burst, then 20/s over the 9.99 s between the first and the last attempt: 199.8 tokens.
  assert.equal(admitted, 10 + 199);
});

test('Retry-After is the whole seconds until the next token, at least 1', () => {
  const cases: Array<{ rate: number; burst: number; wait: number; expected: number }> = [
    { rate: 20, burst: 10, wait: 0, expected: 1 }, // 50 ms away → still 1 s, never 0
    { rate: 1, burst: 1, wait: 0, expected: 1 },
    { rate: 0.5, burst: 1, wait: 0, expected: 2 },
    { rate: 0.1, burst: 3, wait: 0, expected: 10 },
    { rate: 0.1, burst: 3, wait: 4_000, expected: 6 }, // 0.4 of a token back: 6 s to go
    { rate: 0.1, burst: 3, wait: 9_001, expected: 1 }, // 0.9001 back: 0.999 s rounds up to 1
    { rate: 0.25, burst: 2, wait: 1_000, expected: 3 }, // 0.25 back: 3 s to go
  ];
  for (const { rate, burst, wait, expected } of cases) {
    const clock = manualClock();
    const bucket = new TokenBucket(rate, burst, clock.now);
    takeAll(bucket);
    clock.advance(wait);
    const refused = bucket.tryTake();
    assert.deepEqual(refused, { allowed: false, retryAfterSeconds: expected }, `rate ${rate}, burst ${burst}, after ${wait} ms`);
    // Waiting exactly that long is always enough.
    clock.advance(expected * 1000);
    assert.equal(bucket.tryTake().allowed, true, `rate ${rate}: a token after the advertised ${expected} s`);
  }
});

test('secondsUntil says how long until the bucket is full again', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(4, 10, clock.now);
  assert.equal(bucket.secondsUntil(10), 0);
  takeAll(bucket);
  assert.equal(bucket.secondsUntil(10), 3); // 2.5 s rounds up
  clock.advance(2_000);
  assert.equal(bucket.secondsUntil(10), 1);
  assert.equal(bucket.secondsUntil(8), 0);
});

test('a clock that steps backwards neither adds nor removes tokens', () => {
  const clock = manualClock(10_000);
  const bucket = new TokenBucket(10, 2, clock.now);
  takeAll(bucket);
  clock.advance(-5_000);
  assert.equal(bucket.tryTake().allowed, false);
  clock.advance(100);
  assert.equal(bucket.tryTake().allowed, true);
});

test('nonsensical settings are refused', () => {
  assert.throws(() => new TokenBucket(0, 1), RangeError);
  assert.throws(() => new TokenBucket(-1, 1), RangeError);
  assert.throws(() => new TokenBucket(Number.NaN, 1), RangeError);
  assert.throws(() => new TokenBucket(Number.POSITIVE_INFINITY, 1), RangeError);
  assert.throws(() => new TokenBucket(1, 0), RangeError);
  assert.throws(() => new TokenBucket(1, 1.5), RangeError);
});

test('the concurrency limit admits up to max at once and a released slot can be reused', () => {
  const limit = new ConcurrencyLimit(2);
  assert.equal(limit.tryAcquire(), true);
  assert.equal(limit.tryAcquire(), true);
  assert.equal(limit.tryAcquire(), false);
  assert.equal(limit.inFlight, 2);
  limit.release();
  assert.equal(limit.tryAcquire(), true);
  limit.release();
  limit.release();
  limit.release(); // one too many: never below zero
  assert.equal(limit.inFlight, 0);
  assert.throws(() => new ConcurrencyLimit(0), RangeError);
});
