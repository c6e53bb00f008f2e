import { createHmac, randomUUID } from 'node:crypto';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';

/** jose, loaded by the first test that makes a key or a token: most test files make none. */
const jose = (): typeof import('jose') => require('jose') as typeof import('jose');

export const TEST_ISSUER = 'cinemetrics-auth';
export const TEST_AUDIENCE = 'cinemetrics';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

/** A fresh Ed25519 key as the auth service makes them (kid = RFC 7638 thumbprint). */
export async function newSigningKey(): Promise<SigningKey> {
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = jose();
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    privateKey,
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
  };
}

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  /** Makes it a service client's token. */
  clientId?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now (negative: already expired). */
  expiresIn?: number;
  /** Seconds from now for `iat` (positive: issued in the future). */
  issuedIn?: number;
  /** Seconds from now for `nbf`. */
  notBeforeIn?: number;
  /** Overrides the header's kid. */
  kid?: string;
  typ?: string;
  /** Extra or replaced claims. */
  claims?: JWTPayload;
}

/** Signs an access token the way the auth service does, with every claim adjustable for negative tests. */
export async function signToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const { SignJWT } = jose();
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: options.sub ?? options.clientId ?? randomUUID(),
    roles: options.roles ?? [],
    jti: randomUUID(),
    ...(options.clientId === undefined ? {} : { client_id: options.clientId }),
    ...(options.notBeforeIn === undefined ? {} : { nbf: now + options.notBeforeIn }),
    ...options.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? key.kid, typ: options.typ ?? 'at+jwt' })
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setAudience(options.audience ?? TEST_AUDIENCE)
    .setIssuedAt(now + (options.issuedIn ?? 0))
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .sign(key.privateKey);
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * Tokens no verifier may accept, each with what makes it bad: the classic attacks (`alg: none`, HS256
 * signed with the public key as the HMAC secret) besides expired, future, foreign and tampered ones.
 * `stranger` is a key the service has never seen.
 */
export async function hostileTokens(key: SigningKey, stranger: SigningKey, base: TokenOptions = {}): Promise<Record<string, string>> {
  const valid = await signToken(key, base);
  const [header, payload] = valid.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
  const hs256Header = base64url(JSON.stringify({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' }));
  const hmac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(`${hs256Header}.${payload}`).digest('base64url');
  const tampered = base64url(JSON.stringify({ ...claims, roles: ['admin', ...((claims['roles'] as string[] | undefined) ?? [])] }));
  return {
    malformed: 'not-a-jwt',
    'three garbage parts': 'a.b.c',
    expired: await signToken(key, { ...base, issuedIn: -3600, expiresIn: -600 }),
    'not yet valid (nbf)': await signToken(key, { ...base, notBeforeIn: 600 }),
    'issued in the future (iat)': await signToken(key, { ...base, issuedIn: 600, expiresIn: 900 }),
    'wrong issuer': await signToken(key, { ...base, issuer: 'someone-else' }),
    'wrong audience': await signToken(key, { ...base, audience: 'another-api' }),
    'bad signature': `${header}.${tampered}.${valid.split('.')[2] ?? ''}`,
    'unknown kid': await signToken(stranger, base),
    'known kid, other key': await signToken(stranger, { ...base, kid: key.kid }),
    'alg none': `${base64url(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${payload}.`,
    'HS256 with the public key': `${hs256Header}.${payload}.${hmac}`,
    'not an access token (typ)': await signToken(key, { ...base, typ: 'JWT' }),
    'no roles claim': await signToken(key, { ...base, claims: { roles: undefined } }),
  };
}

/** A JWKS document of public keys. */
export function jwks(...keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) };
}
