import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemError, runWithDeadline } from '@cinemetrics/kit';
import { BoundedHasher } from '../src/bounded-hasher.js';
import type { SecretHasher } from '../src/secrets.js';

/** A hasher whose every call waits until the test lets it finish, counting how many run at once. */
class HeldHasher implements SecretHasher {
  running = 0;
  mostAtOnce = 0;
  started = 0;
  private readonly waiting: (() => void)[] = [];

  hash(secret: string): Promise<string> {
    return this.held(() => `hash of ${secret}`);
  }

  verify(secret: string, hash: string): Promise<boolean> {
    return this.held(() => hash === `hash of ${secret}`);
  }

  /** Lets every call started so far finish. */
  releaseAll(): void {
    for (const release of this.waiting.splice(0)) release();
  }

  private async held<T>(result: () => T): Promise<T> {
    this.started += 1;
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running -= 1;
    return result();
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function assertOverloaded(error: unknown): true {
  assert.ok(error instanceof ProblemError, String(error));
  assert.equal(error.status, 503);
  assert.equal(error.type, 'https://cinemetrics.dev/problems/overloaded');
  assert.equal(error.headers['retry-after'], '1');
  return true;
}

test('no more hashes run at once than allowed; the others wait their turn and all finish', async () => {
  const inner = new HeldHasher();
  const hasher = new BoundedHasher(inner, 2);
  const results = Promise.all([hasher.hash('a'), hasher.verify('b', 'hash of b'), hasher.verify('c', 'wrong'), hasher.hash('d'), hasher.hash('e')]);
  while ((await Promise.race([results.then(() => true), turn().then(() => false)])) === false) {
    assert.ok(inner.running <= 2, `${inner.running} running`);
    inner.releaseAll();
  }
  assert.deepEqual(await results, ['hash of a', true, false, 'hash of d', 'hash of e']);
  assert.equal(inner.mostAtOnce, 2);
});

test('a full queue is refused at once with the overload answer, and the refused work never runs', async () => {
  const inner = new HeldHasher();
  const hasher = new BoundedHasher(inner, 1);
  // One running and fifty waiting fill a bound of one.
  const accepted = Array.from({ length: 51 }, (_, index) => hasher.hash(String(index)));
  await assert.rejects(hasher.verify('late', 'hash of late'), assertOverloaded);
  while (inner.started < 51) {
    inner.releaseAll();
    await turn();
  }
  inner.releaseAll();
  assert.equal((await Promise.all(accepted)).length, 51);
  assert.equal(inner.started, 51, 'the refused check ran');
});

test('a request whose budget runs out while it waits is answered then, and its check is skipped', async () => {
  const inner = new HeldHasher();
  const hasher = new BoundedHasher(inner, 1);
  const first = hasher.hash('first');
  const startedAt = performance.now();
  await assert.rejects(
    runWithDeadline(50, () => hasher.verify('waiting', 'hash of waiting')),
    (error) => assertOverloaded(error) && /ran out of time/.test((error as ProblemError).message),
  );
  assert.ok(performance.now() - startedAt < 5_000, 'answered when the budget ran out, not when the turn came');
  inner.releaseAll();
  assert.equal(await first, 'hash of first');
  await turn();
  await turn();
  assert.equal(inner.started, 1, 'the abandoned check ran after all');
});
