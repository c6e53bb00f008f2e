import type { IssuedToken } from './auth-api.js';

/** Share of a token's lifetime after which a new one is fetched, so no request carries an expiring token. */
const REFRESH_AT_SHARE = 0.7;

/**
 * An access token fetched on first use and again once most of its lifetime has passed; concurrent
 * callers share one fetch. A failed fetch is thrown to the callers of that fetch and retried by the next.
 */
export class TokenSource {
  private current: { token: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly fetchToken: () => Promise<IssuedToken>) {}

  async token(): Promise<string> {
    if (this.current !== undefined && Date.now() < this.current.refreshAt) return this.current.token;
    this.pending ??= this.fetchToken()
      .then(({ accessToken, expiresInSeconds }) => {
        this.current = { token: accessToken, refreshAt: Date.now() + expiresInSeconds * 1000 * REFRESH_AT_SHARE };
        return accessToken;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** `{ authorization: 'Bearer …' }` with a current token. */
  async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token()}` };
  }
}
