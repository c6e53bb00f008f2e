import { errors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { KeysUnavailableError, type VerificationKeys } from './key-source.js';
import type { Principal } from './principal.js';

/** Asymmetric only: a token naming `none` or an HMAC algorithm (signed with the public key) is refused. */
export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256'] as const;

/** The longest lifetime the auth service gives a token (ACCESS_TOKEN_TTL_SECONDS at most). */
const MAX_TOKEN_AGE_SECONDS = 3600;

export interface TokenVerifierOptions {
  keys: VerificationKeys;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/** A token that cannot be accepted; the message is safe to return to the caller (no token content). */
export class TokenRejectedError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = 'TokenRejectedError';
  }
}

/**
 * How long a verified token is taken on its word again without checking its signature, at most: a
 * service client sends the same token on every call until it nears expiry, and the signature check is
 * the largest part of a downstream service's CPU per request (docs/performance.md). Never past the
 * token's own `exp` or maximum age. A signing key removed from the key set therefore stops verifying
 * tokens already seen within this long, not at once.
 */
export const VERIFIED_TOKEN_TTL_MS = 60_000;

/** The verified tokens kept, bounded by the tokens' total length as well as their number. */
const VERIFIED_TOKENS_MAX = 10_000;
const VERIFIED_TOKENS_MAX_CHARACTERS = 8 * 1024 * 1024;

interface VerifiedToken {
  principal: Principal;
  /** Epoch milliseconds after which the token is checked in full again. */
  trustedUntil: number;
}

const claims = z.object({
  sub: z.string().min(1).max(128),
  roles: z.array(z.string().max(64)).max(64),
  jti: z.string().min(1).max(128),
  client_id: z.string().min(1).max(128).optional(),
  exp: z.number(),
  iat: z.number(),
});

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not yet valid';
    return `claim ${error.claim} is not acceptable`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'signed with an unknown key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof KeysUnavailableError) return 'signing keys unavailable';
  return 'malformed';
}

/**
 * Verifies access tokens issued by the auth service: signature, algorithm, issuer, audience, lifetime.
 * A token that verified is remembered, byte for byte, for VERIFIED_TOKEN_TTL_MS at most; any other
 * string, a token altered in one character included, is checked in full.
 */
export class TokenVerifier {
  /** Each entry lives until its token's `trustedUntil` (lru-cache's per-entry ttl); never past it. */
  private readonly verified = new LRUCache<string, Principal>({
    max: VERIFIED_TOKENS_MAX,
    maxSize: VERIFIED_TOKENS_MAX_CHARACTERS,
    sizeCalculation: (_value, token) => Math.max(1, token.length),
  });

  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const { principal, trustedUntil } = await this.verifyInFull(token);
    const ttl = trustedUntil - Date.now();
    // A token accepted only within the clock tolerance is already past its time: checked in full each call.
    if (ttl > 0) this.verified.set(token, principal, { ttl });
    return principal;
  }

  private async verifyInFull(token: string): Promise<VerifiedToken> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.options.keys, {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        typ: 'at+jwt',
        // Also refuses an `iat` in the future (beyond the tolerance), which jose checks only with a maximum age.
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      }));
    } catch (error) {
      throw new TokenRejectedError(reasonFor(error), { cause: error });
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new TokenRejectedError('claims sub, roles and jti are required');
    const { sub, roles, client_id: clientId, exp, iat } = parsed.data;
    const principal: Principal = Object.freeze({ subject: sub, roles: Object.freeze(roles), kind: clientId === undefined ? 'user' : 'client' });
    const trustedUntil = Math.min(Date.now() + VERIFIED_TOKEN_TTL_MS, exp * 1000, (iat + MAX_TOKEN_AGE_SECONDS) * 1000);
    return { principal, trustedUntil };
  }
}
