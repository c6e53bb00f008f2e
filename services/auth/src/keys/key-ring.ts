import { importJWK, type CryptoKey, type JWK } from 'jose';
import { currentKey, generateSigningKey, publishedKeys, SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';
import type { SigningKeyStore } from './store.js';

export interface KeyRingOptions {
  /** ACCESS_TOKEN_TTL_SECONDS: how long a retired key stays published. */
  tokenTtlSeconds: number;
  /** How often the store is re-read, to pick up a rotation made by another replica. */
  refreshIntervalMs?: number;
  /** A JWKS request re-reads the store when the last read is older than this. */
  jwksMaxAgeMs?: number;
  now?: () => Date;
}

export interface Signer {
  kid: string;
  key: CryptoKey;
}

export interface PublicJwks {
  keys: JWK[];
}

const DEFAULT_REFRESH_INTERVAL_MS = 10_000;
const DEFAULT_JWKS_MAX_AGE_MS = 1_000;
/**
 * Added to a retired key's publication: longer than the refresh interval, since another replica may
 * sign with the old key until its next read, plus clock skew between replicas and verifiers.
 */
export const RETIRED_KEY_GRACE_MS = 60_000;

/**
 * The signing keys as this replica knows them: creates the first key, signs with the current one,
 * publishes the JWKS and rotates. Re-reads the store every few seconds (and before serving a JWKS that
 * is more than a second old), so a rotation made by another replica reaches every replica.
 */
export class KeyRing {
  private keys: SigningKey[] = [];
  private readAt = 0;
  private signer: Signer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly options: KeyRingOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Creates the first key if the store has none, loads the keys and starts the periodic re-read. */
  async start(): Promise<void> {
    await this.store.addIfNoCurrent(await generateSigningKey(this.now()));
    await this.reload();
    this.timer = setInterval(() => {
      // A failed re-read keeps the keys already loaded; readiness reports the database itself.
      this.reload().catch(() => undefined);
    }, this.options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  currentSigner(): Signer {
    if (!this.signer) throw new Error('the key ring has not been started');
    return this.signer;
  }

  /**
   * The published keys, re-read first when the last read is older than `jwksMaxAgeMs`. When the store
   * cannot be read the keys already loaded are served: verifiers need them most while the database is down.
   */
  async jwks(): Promise<PublicJwks> {
    if (Date.now() - this.readAt >= (this.options.jwksMaxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS)) await this.reload().catch(() => undefined);
    return this.publicJwks();
  }

  /** The published public keys as last read, without touching the store. */
  publicJwks(): PublicJwks {
    const published = publishedKeys(this.keys, this.now(), this.options.tokenTtlSeconds, RETIRED_KEY_GRACE_MS);
    // Only the public members, by name: nothing private can slip into the JWKS whatever the store holds.
    return {
      keys: published.map(({ kid, publicJwk: { kty, crv, x } }) => ({ kty, crv, x, kid, alg: SIGNING_ALGORITHM, use: 'sig' })),
    };
  }

  /** A new key signs from now on; the previous one is retired (still published until its tokens expired). */
  async rotate(): Promise<{ kid: string; createdAt: Date; retired: string[] }> {
    const next = await generateSigningKey(this.now());
    const retired = this.keys.filter((key) => key.retiredAt === null).map((key) => key.kid);
    const dropBefore = new Date(next.createdAt.getTime() - this.options.tokenTtlSeconds * 1000 - RETIRED_KEY_GRACE_MS);
    await this.store.rotate(next, dropBefore);
    await this.reload();
    return { kid: next.kid, createdAt: next.createdAt, retired };
  }

  /** One read of the store at a time: concurrent JWKS requests share it. */
  private reload(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    const keys = await this.store.list();
    const current = currentKey(keys);
    if (!current) throw new Error('the signing key store has no current key');
    if (this.signer?.kid !== current.kid) {
      this.signer = { kid: current.kid, key: (await importJWK(current.privateJwk, SIGNING_ALGORITHM)) as CryptoKey };
    }
    this.keys = keys;
    this.readAt = Date.now();
  }
}
