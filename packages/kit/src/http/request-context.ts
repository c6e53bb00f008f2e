import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's `x-request-id` when it is safe to log, otherwise makes one; echoes it back. */
export async function requestId(ctx: Context, next: Next): Promise<void> {
  const incoming = ctx.get('x-request-id');
  const id = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  ctx.state['requestId'] = id;
  ctx.set('x-request-id', id);
  await next();
}

/** The matched route template (`/metadata/:id`), or undefined when no route matched. */
export function routeTemplate(ctx: Context): string | undefined {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof matched === 'string' ? matched : undefined;
}
