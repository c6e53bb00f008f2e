import type { RetryBudgetSettings } from './policy.js';

const BUCKETS = 10;

interface Bucket {
  start: number;
  calls: number;
  retries: number;
}

/**
 * A retry budget (as in Finagle and gRPC retry throttling): over a sliding window, retries may add at
 * most `ratio` of the calls made, plus `minPerSecond` per second of window so a quiet service can
 * still retry its odd failure. When a downstream fails everything, callers send at most
 * `1 + ratio` times the load they would without retries — never a retry storm.
 */
export class RetryBudget {
  private readonly buckets: Bucket[];
  private readonly bucketMs: number;

  constructor(
    private readonly settings: RetryBudgetSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.bucketMs = settings.windowMs / BUCKETS;
    this.buckets = Array.from({ length: BUCKETS }, () => ({ start: Number.NEGATIVE_INFINITY, calls: 0, retries: 0 }));
  }

  /** Counts a logical call (deposits `ratio` of a retry). */
  recordCall(): void {
    this.current().calls += 1;
  }

  /** Takes one retry from the budget; false (and nothing taken) when the budget is spent. */
  tryAcquireRetry(): boolean {
    const { calls, retries } = this.totals();
    const allowed = calls * this.settings.ratio + this.settings.minPerSecond * (this.settings.windowMs / 1000);
    if (retries + 1 > allowed) return false;
    this.current().retries += 1;
    return true;
  }

  /** Calls and retries in the window, for tests and debugging. */
  totals(): { calls: number; retries: number } {
    const now = this.now();
    let calls = 0;
    let retries = 0;
    for (const bucket of this.buckets) {
      if (now - bucket.start < this.settings.windowMs) {
        calls += bucket.calls;
        retries += bucket.retries;
      }
    }
    return { calls, retries };
  }

  private current(): Bucket {
    const now = this.now();
    const slot = Math.floor(now / this.bucketMs);
    const bucket = this.buckets[((slot % BUCKETS) + BUCKETS) % BUCKETS] as Bucket;
    const start = slot * this.bucketMs;
    if (bucket.start !== start) {
      bucket.start = start;
      bucket.calls = 0;
      bucket.retries = 0;
    }
    return bucket;
  }
}
