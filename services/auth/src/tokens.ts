import { randomUUID } from 'node:crypto';
import { withSpan } from '@cinemetrics/kit';
import { SignJWT } from 'jose';
import type { KeyRing } from './keys/key-ring.js';
import { SIGNING_ALGORITHM } from './keys/signing-key.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** The body of a successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export type TokenSubject = { kind: 'user'; userId: string; roles: string[] } | { kind: 'client'; clientId: string; roles: string[] };

/**
 * Signs RFC 9068-style access tokens with the key ring's current key. A user token's `sub` is the
 * user's id (never the username); a client token also carries `client_id`.
 */
export class TokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: TokenSettings,
  ) {}

  issue(subject: TokenSubject): Promise<TokenResponse> {
    const attributes = subject.kind === 'user' ? { 'enduser.id': subject.userId } : { 'auth.client_id': subject.clientId };
    return withSpan('Tokens/Issue', attributes, async (span) => {
      const { kid, key } = this.keys.currentSigner();
      span.setAttribute('auth.kid', kid);
      const claims = subject.kind === 'user' ? { roles: subject.roles } : { roles: subject.roles, client_id: subject.clientId };
      const issuedAt = Math.floor(Date.now() / 1000);
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'at+jwt' })
        .setIssuer(this.settings.issuer)
        .setAudience(this.settings.audience)
        .setSubject(subject.kind === 'user' ? subject.userId : subject.clientId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + this.settings.ttlSeconds)
        .setJti(randomUUID())
        .sign(key);
      return { access_token: token, token_type: 'Bearer', expires_in: this.settings.ttlSeconds };
    });
  }
}
