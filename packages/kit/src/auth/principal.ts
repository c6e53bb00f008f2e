import type { Context } from 'koa';
import { unauthorized } from './problems.js';

/** Who a verified bearer token speaks for. */
export interface Principal {
  /** The token's `sub`: a user's id, or a service client's id. */
  subject: string;
  roles: readonly string[];
  /** `user` for tokens issued to people (POST /tokens); `client` for service clients (client credentials). */
  kind: 'user' | 'client';
}

/** The role of service clients: they may, e.g., shorten a request's deadline below the public floor. */
export const SERVICE_ROLE = 'service';
export const ADMIN_ROLE = 'admin';

const PRINCIPAL_KEY = 'principal';

export function setPrincipal(ctx: Context, principal: Principal): void {
  ctx.state[PRINCIPAL_KEY] = principal;
}

/** The verified caller of this request, or undefined when it sent no token. */
export function principalOf(ctx: Context): Principal | undefined {
  return ctx.state[PRINCIPAL_KEY] as Principal | undefined;
}

export interface Caller {
  userId: string;
}

/** The person calling a route declared `auth: { usersOnly: true }`: their id is the token's subject. */
export function requireCaller(ctx: Context): Caller {
  const principal = principalOf(ctx);
  if (principal?.kind !== 'user') throw unauthorized();
  return { userId: principal.subject };
}

/** Service clients are trusted with what the public is not (a deadline below the floor). */
export function isServiceClient(ctx: Context): boolean {
  return principalOf(ctx)?.roles.includes(SERVICE_ROLE) ?? false;
}
