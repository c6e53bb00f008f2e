import type { Dispatcher } from 'undici';
import { currentRequestScope } from './deadline.js';
import { describeError, DownstreamUnavailableError } from './errors.js';
import { timeoutSignal } from '../timeout-signal.js';
import { undici } from './undici.js';

/** How calls to one downstream authenticate. */
export type DownstreamAuth =
  | { type: 'none' }
  /** A predefined secret in a header (`x-api-key` unless named). */
  | { type: 'api-key'; key: string; header?: string }
  | { type: 'basic'; username: string; password: string }
  /** The incoming request's `Authorization` header, passed on as is (the caller's identity travels). */
  | { type: 'bearer-forward' }
  /** OAuth 2.0 client credentials (RFC 6749 §4.4): a token from `tokenUrl`, cached until shortly before it expires. */
  | OAuthClientCredentials;

export interface OAuthClientCredentials {
  type: 'oauth2-client-credentials';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Sent as the `audience` form field when set (some servers need it to pick the token's `aud`). */
  audience?: string;
}

/** Credentials as headers for one attempt, and what to do when the downstream answers 401. */
export interface AuthProvider {
  /** Headers for the next attempt; `signal` bounds any token fetch. */
  headers(signal: AbortSignal): Promise<Record<string, string>>;
  /**
   * After a 401 with the headers from `headers()`: true when fresh credentials were obtained and the
   * attempt is worth repeating once (only OAuth can do that).
   */
  refreshAfterUnauthorized(used: Record<string, string>, signal: AbortSignal): Promise<boolean>;
  close(): void;
}

const noHeaders: AuthProvider = {
  headers: () => Promise.resolve({}),
  refreshAfterUnauthorized: () => Promise.resolve(false),
  close: () => undefined,
};

function staticHeaders(headers: Record<string, string>): AuthProvider {
  return { headers: () => Promise.resolve(headers), refreshAfterUnauthorized: () => Promise.resolve(false), close: () => undefined };
}

export function createAuthProvider(peer: string, auth: DownstreamAuth | undefined, dispatcher: Dispatcher): AuthProvider {
  if (auth === undefined || auth.type === 'none') return noHeaders;
  switch (auth.type) {
    case 'api-key':
      return staticHeaders({ [(auth.header ?? 'x-api-key').toLowerCase()]: auth.key });
    case 'basic':
      return staticHeaders({ authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` });
    case 'bearer-forward':
      return {
        headers: (): Promise<Record<string, string>> => {
          const authorization = currentRequestScope()?.authorization;
          return Promise.resolve<Record<string, string>>(authorization === undefined ? {} : { authorization });
        },
        refreshAfterUnauthorized: () => Promise.resolve(false),
        close: () => undefined,
      };
    case 'oauth2-client-credentials':
      return new OAuthTokenSource(peer, auth, dispatcher);
  }
}

/** Refresh this long before `expires_in` runs out: a tenth of the lifetime, at most 30 s. */
function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(30_000, lifetimeMs / 10);
}

/** A token fetch never waits longer than this, whatever the callers' budgets. */
const TOKEN_FETCH_TIMEOUT_MS = 5_000;

interface CachedToken {
  value: string;
  /** performance.now() after which the token is refreshed; Infinity when the server gave no expiry. */
  refreshAt: number;
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * OAuth 2.0 client credentials. The token is fetched on first use and cached until shortly before
 * `expires_in`; concurrent callers share one fetch; a 401 from the downstream drops the token that was
 * used and fetches a new one once. The client authenticates to the token endpoint with HTTP Basic
 * (`client_secret_basic`, RFC 6749 §2.3.1).
 */
export class OAuthTokenSource implements AuthProvider {
  private cached: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;

  constructor(
    private readonly peer: string,
    private readonly credentials: OAuthClientCredentials,
    private readonly dispatcher: Dispatcher,
  ) {}

  async headers(signal: AbortSignal): Promise<Record<string, string>> {
    const token = await this.token(signal);
    return { authorization: `Bearer ${token.value}` };
  }

  async refreshAfterUnauthorized(used: Record<string, string>, signal: AbortSignal): Promise<boolean> {
    // Drop the token only if nobody replaced it meanwhile; then share one fetch with everyone else.
    if (this.cached !== undefined && used['authorization'] === `Bearer ${this.cached.value}`) this.cached = undefined;
    await this.token(signal);
    return true;
  }

  close(): void {
    this.cached = undefined;
  }

  private token(signal: AbortSignal): Promise<CachedToken> {
    const cached = this.cached;
    if (cached !== undefined && performance.now() < cached.refreshAt) return Promise.resolve(cached);
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return raceSignal(this.inFlight, signal).catch((error: unknown) => {
      if (error instanceof DownstreamUnavailableError) throw error;
      throw new DownstreamUnavailableError(this.peer, signal.aborted ? 'timeout' : 'auth', `token request failed: ${describeError(error)}`, { cause: error });
    });
  }

  private async fetchToken(): Promise<CachedToken> {
    const { clientId, clientSecret, scope, audience } = this.credentials;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    if (audience !== undefined) form.set('audience', audience);
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const started = performance.now();
    const timeout = timeoutSignal(TOKEN_FETCH_TIMEOUT_MS);
    let statusCode: number;
    let text: string;
    try {
      const response = await undici().request(this.credentials.tokenUrl, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
        body: form.toString(),
        signal: timeout.signal,
      });
      statusCode = response.statusCode;
      text = await response.body.text();
    } finally {
      timeout.clear();
    }
    if (statusCode !== 200) {
      throw new DownstreamUnavailableError(this.peer, 'auth', `token request failed: status ${statusCode}`);
    }
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new DownstreamUnavailableError(this.peer, 'auth', 'token response is not JSON');
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new DownstreamUnavailableError(this.peer, 'auth', 'token response has no access_token');
    }
    if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') {
      throw new DownstreamUnavailableError(this.peer, 'auth', 'token response is not a bearer token');
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : Number.POSITIVE_INFINITY;
    const refreshAt = lifetimeMs === Number.POSITIVE_INFINITY ? lifetimeMs : started + lifetimeMs - refreshMarginMs(lifetimeMs);
    this.cached = { value: body.access_token, refreshAt };
    return this.cached;
  }
}
