import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password and client-secret hashing with scrypt (memory-hard, built into Node). The parameters are
 * stored in each hash, `scrypt$<N>$<r>$<p>$<salt>$<key>` (base64url), so they can be raised later
 * without invalidating existing hashes.
 */

export interface SecretHasher {
  hash(secret: string): Promise<string>;
  /** False for a wrong secret and for a hash this hasher cannot read; never throws for either. */
  verify(secret: string, hash: string): Promise<boolean>;
}

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * 2^15 × 8 × 128 bytes = 32 MiB per hash, in three passes: as costly to guess as a single pass over
 * 128 MiB (N = 2^17), for a quarter of the memory a small container has to hold per sign-in
 * (docs/security.md).
 */
export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 15, r: 8, p: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function options({ N, r, p }: ScryptParameters): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r };
}

export class ScryptHasher implements SecretHasher {
  constructor(private readonly parameters: ScryptParameters = DEFAULT_SCRYPT) {}

  async hash(secret: string): Promise<string> {
    const { N, r, p } = this.parameters;
    const salt = randomBytes(SALT_BYTES);
    const key = await scrypt(secret, salt, KEY_BYTES, options(this.parameters));
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(secret: string, hash: string): Promise<boolean> {
    const parts = hash.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20 || r > 32 || p > 16) return false;
    const salt = Buffer.from(parts[4] ?? '', 'base64url');
    const expected = Buffer.from(parts[5] ?? '', 'base64url');
    if (salt.length === 0 || expected.length === 0) return false;
    const actual = await scrypt(secret, salt, expected.length, options({ N, r, p }));
    return timingSafeEqual(actual, expected);
  }
}
