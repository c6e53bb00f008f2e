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
   * Runs the credential `check` unless the account or the address is over its limit (then a 429
   * problem). The attempt is counted before the check, so concurrent attempts cannot all slip under
   * the limit; a failure (undefined) that reaches a limit blocks for the full block time from now, a
   * success clears the account's failures and takes its own count back from the address.
   */
  async attempt<T>(account: string, address: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const byAccount = { limiter: this.byAccount, key: digest(account), max: this.limits.maxFailuresPerAccount };
    const byAddress = { limiter: this.byAddress, key: digest(address), max: this.limits.maxFailuresPerAddress };
    const counters = [byAccount, byAddress];
    const counts = await this.guard(() => Promise.all(counters.map(({ limiter, key }) => limiter.penalty(key, 1))));
    const over = counts.filter((count, index) => count.consumedPoints > counters[index]!.max);
    if (over.length > 0) throw tooManyFailures(Math.max(1, Math.ceil(Math.max(...over.map((count) => count.msBeforeNext)) / 1000)));
    const result = await check();
    await this.guard(async () => {
      if (result !== undefined) {
        await Promise.all([byAccount.limiter.delete(byAccount.key), byAddress.limiter.reward(byAddress.key, 1)]);
        return;
      }
      await Promise.all(
        counters.flatMap(({ limiter, key, max }, index) => (counts[index]!.consumedPoints >= max ? [limiter.block(key, this.limits.blockSeconds)] : [])),
      );
    });
    return result;
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
