import { createHash } from 'node:crypto';
import { DependencyUnavailableError, PROBLEM_TYPE_BASE, ProblemError, type Database } from '@cinemetrics/kit';
import { RateLimiterMemory, RateLimiterMySQL, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface SignInLimits {
  /** Failures of one account (user or client) before it is blocked. */
  maxFailuresPerAccount: number;
  /** Failures from one client address before it is blocked. */
  maxFailuresPerAddress: number;
  /** The window failures are counted in, and how long a block lasts from the failure that set it. */
  blockSeconds: number;
}

/** The stored key: a digest, so the table and memory hold no usernames or addresses. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function tooManyFailures(retryAfterSeconds: number): ProblemError {
  return new ProblemError({
    status: 429,
    type: `${PROBLEM_TYPE_BASE}too-many-sign-in-failures`,
    title: 'Too many failed sign-ins',
    detail: `Too many failed sign-ins for this account or from this address; retry after ${retryAfterSeconds} s`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/**
 * Counts failed sign-ins per account and per client address with rate-limiter-flexible: in the
 * database (shared by the replicas) with MySQL, else in memory (per replica). Unknown accounts are
 * counted exactly like known ones, so a block says nothing about whether an account exists.
 */
export class SignInLimiter {
  private readonly byAccount: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;

  constructor(
    private readonly limits: SignInLimits,
    database: Database | undefined,
  ) {
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract =>
      database
        ? new RateLimiterMySQL({
            storeClient: database.pool.pool,
            storeType: 'pool',
            dbName: database.name,
            tableName: 'signin_failures',
            tableCreated: true,
            keyPrefix,
            points,
            duration: limits.blockSeconds,
          })
        : new RateLimiterMemory({ keyPrefix, points, duration: limits.blockSeconds });
    this.byAccount = limiter('account', limits.maxFailuresPerAccount);
    this.byAddress = limiter('address', limits.maxFailuresPerAddress);
  }

  /**
   * Runs the credential `check` unless the account or address is blocked (then a 429 problem):
   * its failure (undefined) is counted, its success clears the account's failures.
   */
  async attempt<T>(account: string, address: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.assertAllowed(account, address);
    const result = await check();
    if (result === undefined) await this.recordFailure(account, address);
    else await this.recordSuccess(account);
    return result;
  }

  /** Throws a 429 problem while the account or the address is blocked. */
  async assertAllowed(account: string, address: string): Promise<void> {
    const [accountState, addressState] = await this.guard(() =>
      Promise.all([this.byAccount.get(digest(account)), this.byAddress.get(digest(address))]),
    );
    const waits = [
      accountState && accountState.consumedPoints >= this.limits.maxFailuresPerAccount ? accountState.msBeforeNext : 0,
      addressState && addressState.consumedPoints >= this.limits.maxFailuresPerAddress ? addressState.msBeforeNext : 0,
    ];
    const waitMs = Math.max(...waits);
    if (waitMs > 0) throw tooManyFailures(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Counts a failure; the one that reaches a limit blocks for the full block time from now. */
  async recordFailure(account: string, address: string): Promise<void> {
    await this.guard(() =>
      Promise.all([
        this.count(this.byAccount, digest(account), this.limits.maxFailuresPerAccount),
        this.count(this.byAddress, digest(address), this.limits.maxFailuresPerAddress),
      ]),
    );
  }

  /** A successful sign-in clears the account's failures (not the address's). */
  async recordSuccess(account: string): Promise<void> {
    await this.guard(() => this.byAccount.delete(digest(account)));
  }

  private async count(limiter: RateLimiterAbstract, key: string, max: number): Promise<void> {
    const state = await limiter.penalty(key, 1);
    if (state.consumedPoints >= max) await limiter.block(key, this.limits.blockSeconds);
  }

  /** A store failure (the database is down) is a 503, never a sign-in let through or a 500. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new DependencyUnavailableError('database', error);
    }
  }
}
