import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { timeoutSignal } from '../timeout-signal.js';

/** Where a verifier finds the public keys of the tokens it accepts. */
export type VerificationKeys = JWTVerifyGetKey;

export interface RemoteKeySetOptions {
  /** `${AUTH_URL}/.well-known/jwks.json` */
  url: string;
  logger: Logger;
  /** After this long the key set is refreshed in the background; verification goes on with the cached one. */
  maxAgeMs?: number;
  /** At most one fetch per this interval, whatever the callers send (a flood of unknown key ids included). */
  cooldownMs?: number;
  timeoutMs?: number;
}

const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const DEFAULT_COOLDOWN_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 2_000;

/** The key set is unreachable and nothing is cached: no token can be checked. */
export class KeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super('signing keys unavailable', { cause });
    this.name = 'KeysUnavailableError';
  }
}

/**
 * The auth service's JWKS, fetched on first use and cached. A token with an unknown key id triggers a
 * refresh (a rotation is picked up without a restart), but never more than one per cooldown; a stale
 * set is refreshed in the background. When the auth service is down the cached keys keep verifying —
 * unlike jose's createRemoteJWKSet, which fails every verification once its cache is stale and the
 * refresh fails.
 */
export class RemoteKeySet {
  private local: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  readonly getKey: VerificationKeys = async (header, token) => {
    if (this.local === undefined) await this.refresh(true);
    else if (performance.now() - this.fetchedAt > this.maxAgeMs) void this.refresh(false).catch(() => undefined);
    try {
      return await this.requireLocal()(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.coolingDown()) throw error;
      await this.refresh(false).catch(() => undefined);
      return this.requireLocal()(header, token);
    }
  };

  private requireLocal(): JWTVerifyGetKey {
    if (this.local === undefined) throw new KeysUnavailableError(undefined);
    return this.local;
  }

  private coolingDown(): boolean {
    return performance.now() - this.attemptedAt < this.cooldownMs;
  }

  /** One fetch at a time; `force` ignores the cooldown (nothing cached yet). */
  private refresh(force: boolean): Promise<void> {
    if (!force && this.coolingDown()) return this.inFlight ?? Promise.resolve();
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = performance.now();
    const timeout = timeoutSignal(this.timeoutMs);
    try {
      const response = await fetch(this.options.url, { headers: { accept: 'application/json' }, signal: timeout.signal });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const keySet = (await response.json()) as JSONWebKeySet;
      this.local = createLocalJWKSet(keySet);
      this.fetchedAt = performance.now();
      this.options.logger.info({ url: this.options.url, keys: keySet.keys.length }, 'signing keys fetched');
    } catch (error) {
      this.options.logger.warn({ url: this.options.url, err: error, cached: this.local !== undefined }, 'signing keys fetch failed');
      if (this.local === undefined) throw new KeysUnavailableError(error);
    } finally {
      timeout.clear();
    }
  }
}

/** Keys the service holds itself (the auth service verifies its own tokens without a fetch). */
export function localKeySet(keys: () => Promise<JSONWebKeySet>): VerificationKeys {
  return async (header, token) => createLocalJWKSet(await keys())(header, token);
}
