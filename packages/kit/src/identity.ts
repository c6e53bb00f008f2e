import type { Context } from 'koa';
import { z } from 'zod';
import { ProblemError, validationFailed } from './problem.js';

export interface Caller {
  userId: string;
}

const userId = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/);

/**
 * Who is calling. TEMPORARY: read from the `x-user-id` header until the security issue replaces this
 * with the verified `sub` of a JWT; this function is the one place to change.
 */
export function requireCaller(ctx: Context): Caller {
  const header = ctx.get('x-user-id');
  if (!header) {
    throw new ProblemError({
      status: 401,
      detail: 'The caller is not identified (x-user-id header missing)',
      headers: { 'www-authenticate': 'X-User-Id' },
    });
  }
  if (!userId.safeParse(header).success) {
    throw validationFailed([
      { field: 'header.x-user-id', rule: 'invalid_format', message: 'must be 1-64 characters of letters, digits, . _ @ -' },
    ]);
  }
  return { userId: header };
}
