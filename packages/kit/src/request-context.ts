import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';

/** What the kit keeps in `ctx.state` for a request; read it through `requestState(ctx)`. */
export interface RequestState {
  /** The request's id: the caller's safe `x-request-id`, else one made here. */
  requestId?: string;
  /** The route template given by inbound protection to a request it refused before routing. */
  refusedRouteTemplate?: string;
}

export function requestState(ctx: Context): RequestState {
  // Koa types the state as any: this is the one place that gives it a shape.
  return ctx.state;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's `x-request-id` when it is safe to log, otherwise makes one; echoes it back. */
export function assignRequestId(ctx: Context): string {
  const incoming = ctx.get('x-request-id');
  const id = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  requestState(ctx).requestId = id;
  ctx.set('x-request-id', id);
  return id;
}

/** Route label for requests no route matched: one value, however many distinct paths arrive. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The matched route template (`/metadata/:id`), or undefined when no route matched: the router's
 * public `ctx.routerPath`, or the template inbound protection found for a request it refused.
 */
export function routeTemplate(ctx: Context): string | undefined {
  const routerPath: unknown = (ctx as Context & { routerPath?: unknown }).routerPath;
  return typeof routerPath === 'string' ? routerPath : (ctx.state as RequestState | undefined)?.refusedRouteTemplate;
}
