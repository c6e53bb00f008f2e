import { overloaded, remainingBudgetMs, timeoutSignal, WAITING_PER_SLOT } from '@cinemetrics/kit';
import { bulkhead, BulkheadRejectedError, TaskCancelledError, type BulkheadPolicy } from 'cockatiel';
import type { SecretHasher } from './secrets.js';

/**
 * At most `concurrent` hashes or checks at once; the rest wait their turn in a bounded queue.
 *
 * Each scrypt run holds its whole memory cost (128 × N × r bytes) until it ends, on libuv's thread pool,
 * outside the V8 heap: without a bound, a burst of sign-ins (or of guesses, with new names and from new
 * addresses, which the sign-in throttle does not stop) multiplies that by the pool's four threads and
 * can push the process past its container's memory limit. A request that finds the queue full, or whose
 * budget runs out before its check is done, gets the overload answer (503 with `Retry-After`) instead.
 */
export class BoundedHasher implements SecretHasher {
  private readonly turns: BulkheadPolicy;

  constructor(
    private readonly hasher: SecretHasher,
    concurrent: number,
  ) {
    this.turns = bulkhead(concurrent, concurrent * WAITING_PER_SLOT);
  }

  hash(secret: string): Promise<string> {
    return this.inTurn(() => this.hasher.hash(secret));
  }

  verify(secret: string, hash: string): Promise<boolean> {
    return this.inTurn(() => this.hasher.verify(secret, hash));
  }

  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    const budgetMs = remainingBudgetMs();
    // A request whose budget runs out while it waits is answered then; its place is skipped when reached.
    const timeout = budgetMs === undefined ? undefined : timeoutSignal(Math.max(0, Math.ceil(budgetMs)));
    try {
      return await (timeout ? Promise.race([this.turns.execute(work, timeout.signal), cancelledBy(timeout.signal)]) : this.turns.execute(work));
    } catch (error) {
      if (error instanceof BulkheadRejectedError) throw overloaded('Too many passwords and secrets are being checked at once');
      if (error instanceof TaskCancelledError) throw overloaded('The request ran out of time before its password or secret check was done');
      throw error;
    } finally {
      timeout?.clear();
    }
  }
}

function cancelledBy(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new TaskCancelledError()), { once: true });
  });
}
