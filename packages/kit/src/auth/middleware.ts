import { context } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { forbidden, invalidToken, unauthorized } from './problems.js';
import { principalOf, setPrincipal, type Principal } from './principal.js';
import { TokenRejectedError, type TokenVerifier } from './token-verifier.js';

/** Who may call a route (`defineRoute`'s `auth`); a route without it is public. */
export interface RouteAuth {
  /** The token must carry at least one of these roles. */
  roles?: readonly string[];
  /** Only tokens issued to people (POST /tokens), not to service clients. */
  usersOnly?: boolean;
}

/** The semantic-convention attribute for the authenticated caller; never the token itself. */
export const ENDUSER_ID = 'enduser.id';

/**
 * The credentials of an `Authorization: Bearer <token>` header. Auth schemes are case-insensitive
 * (RFC 9110 §11.1), and one or more spaces separate the scheme from its credentials.
 */
export function bearerToken(authorization: string): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(authorization);
  return match?.[1];
}

const BEARER_SCHEME = /^bearer(\s|$)/i;

/**
 * Verifies the request's bearer token, if it sent one; a token that fails is a 401, never ignored.
 * Other schemes are left to the routes that use them (the token endpoint's HTTP Basic client auth).
 */
export async function verifyBearer(ctx: Context, verifier: TokenVerifier, logger: Logger): Promise<Principal | undefined> {
  const authorization = ctx.get('authorization');
  if (!BEARER_SCHEME.test(authorization)) return undefined;
  const token = bearerToken(authorization);
  if (token === undefined) throw invalidToken('malformed Authorization header');
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (!(error instanceof TokenRejectedError)) throw error;
    logger.debug({ reason: error.message }, 'bearer token rejected');
    throw invalidToken(error.message);
  }
}

/**
 * Every public request: a bearer token, when sent, is verified and its principal kept for the routes
 * (and recorded as `enduser.id` on the server span and the access-log line). No token: the caller is
 * anonymous, which public routes accept and protected ones answer with 401.
 */
export function authenticate(verifier: TokenVerifier, logger: Logger) {
  const authenticated = async (ctx: Context, next: Next): Promise<void> => {
    const principal = await verifyBearer(ctx, verifier, logger);
    if (principal !== undefined) {
      setPrincipal(ctx, principal);
      getRPCMetadata(context.active())?.span?.setAttribute(ENDUSER_ID, principal.subject);
    }
    await next();
  };
  return function authenticateBearer(ctx: Context, next: Next): Promise<void> {
    // Anonymous requests, most public reads, pass on without an async frame of their own.
    if (!BEARER_SCHEME.test(ctx.get('authorization'))) return next();
    return authenticated(ctx, next);
  };
}

/** What a route's `auth` demands of the principal: 401 without one, 403 when it lacks what is needed. */
export function checkAccess(ctx: Context, auth: RouteAuth): void {
  const principal = principalOf(ctx);
  if (principal === undefined) throw unauthorized();
  if (auth.usersOnly === true && principal.kind !== 'user') throw forbidden('a user token is required, not a service client token');
  if (auth.roles !== undefined && auth.roles.length > 0 && !auth.roles.some((role) => principal.roles.includes(role))) {
    throw forbidden(`role ${auth.roles.join(' or ')} is required`);
  }
}
