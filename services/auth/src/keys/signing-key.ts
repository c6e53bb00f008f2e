import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The one signature algorithm auth signs with (Ed25519). */
export const SIGNING_ALGORITHM = 'EdDSA';

/**
 * A token signing key as stored. `privateJwk` never leaves the store and the signer: it is not logged,
 * returned or put on a span. The newest key without `retiredAt` signs; retired keys are only published.
 */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Milliseconds, as the database keeps them, so a stored value reads back equal. */
export function wholeMilliseconds(date: Date): Date {
  return new Date(Math.trunc(date.getTime()));
}

export async function generateSigningKey(createdAt: Date): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM },
    createdAt: wholeMilliseconds(createdAt),
    retiredAt: null,
  };
}

/** The key that signs: the newest one not retired (ties broken by kid, so every replica picks the same). */
export function currentKey(keys: readonly SigningKey[]): SigningKey | undefined {
  return keys
    .filter((key) => key.retiredAt === null)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.kid.localeCompare(b.kid))[0];
}

/**
 * The keys verifiers may need: the current ones and every retired key a still-valid token may have
 * been signed with, i.e. until retiredAt + token lifetime + `graceMs`. The grace covers clock skew and
 * a replica signing with the old key until it next reads the store.
 */
export function publishedKeys(keys: readonly SigningKey[], now: Date, tokenTtlSeconds: number, graceMs: number): SigningKey[] {
  const horizon = now.getTime() - tokenTtlSeconds * 1000 - graceMs;
  return keys.filter((key) => key.retiredAt === null || key.retiredAt.getTime() > horizon);
}
