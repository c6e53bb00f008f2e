/**
 * Counts requests in flight and refuses one more than `max`. A slot is taken when a request is
 * admitted and given back when its handler is done, whatever the outcome.
 */
export class ConcurrencyLimit {
  private current = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a whole number of at least 1, got ${max}`);
  }

  get inFlight(): number {
    return this.current;
  }

  tryAcquire(): boolean {
    if (this.current >= this.max) return false;
    this.current += 1;
    return true;
  }

  release(): void {
    if (this.current > 0) this.current -= 1;
  }
}
