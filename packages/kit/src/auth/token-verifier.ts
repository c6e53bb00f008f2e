import { errors, jwtVerify } from 'jose';
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

const claims = z.object({
  sub: z.string().min(1).max(128),
  roles: z.array(z.string().max(64)).max(64),
  jti: z.string().min(1).max(128),
  client_id: z.string().min(1).max(128).optional(),
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

/** Verifies access tokens issued by the auth service: signature, algorithm, issuer, audience, lifetime. */
export class TokenVerifier {
  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<Principal> {
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
    const { sub, roles, client_id: clientId } = parsed.data;
    return { subject: sub, roles, kind: clientId === undefined ? 'user' : 'client' };
  }
}
