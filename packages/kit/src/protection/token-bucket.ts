/** Milliseconds from an arbitrary origin that never goes backwards (performance.now by default). */
export type Clock = () => number;

export type TakeResult =
  | { allowed: true; /** Whole tokens left after this one. */ remaining: number }
  | { allowed: false; /** Whole seconds until a token is available: at least 1, for `Retry-After`. */ retryAfterSeconds: number };

/** Refill arithmetic in floating point may land a hair below a whole token. */
const EPSILON = 1e-9;

/**
 * A token bucket: holds at most `burst` tokens, starts full and gains `ratePerSecond` tokens per
 * second; every admitted request takes one. So a client may send `burst` requests at once and
 * `ratePerSecond` requests per second on average, and nothing it does can earn it more.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be a whole number of at least 1, got ${burst}`);
    this.tokens = burst;
    this.updatedAt = clock();
  }

  /** Takes one token if there is one; otherwise says how long until there will be. */
  tryTake(): TakeResult {
    this.refill();
    if (this.tokens + EPSILON >= 1) {
      this.tokens = Math.max(0, this.tokens - 1);
      return { allowed: true, remaining: this.remaining() };
    }
    // From the same reading of the clock that refused: a second reading could find the token arrived
    // meanwhile and answer 0, and a refused request must be told to wait at least a second.
    return { allowed: false, retryAfterSeconds: this.secondsMissing(1) };
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return this.remaining();
  }

  /** Whole seconds (at least 1) until the bucket holds `tokens` tokens, 0 if it already does. */
  secondsUntil(tokens: number): number {
    this.refill();
    return this.secondsMissing(tokens);
  }

  private secondsMissing(tokens: number): number {
    const missing = Math.min(tokens, this.burst) - this.tokens;
    if (missing <= EPSILON) return 0;
    return Math.max(1, Math.ceil(missing / this.ratePerSecond - EPSILON));
  }

  private remaining(): number {
    return Math.floor(this.tokens + EPSILON);
  }

  private refill(): void {
    const now = this.clock();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.ratePerSecond);
    this.updatedAt = now;
  }
}
