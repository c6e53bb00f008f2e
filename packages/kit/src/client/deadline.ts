import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'koa';
import { requestState } from '../request-context.js';

/**
 * The request's time budget, carried in AsyncLocalStorage from the moment a request arrives to every
 * downstream call it makes, however deep in the code that call is.
 *
 * Wire format: `x-timeout-ms: <integer>` — the caller's *remaining* budget in milliseconds when it
 * sent the request (relative, like gRPC's `grpc-timeout`, so clocks of different hosts never need to
 * agree). A service takes the smaller of that value and its own `REQUEST_DEADLINE_MS`, but never less
 * than `REQUEST_DEADLINE_FLOOR_MS` for an untrusted caller, and every outbound attempt sends the time
 * it will actually wait, so the budget shrinks hop by hop.
 */
export const DEADLINE_HEADER = 'x-timeout-ms';

/** The largest budget a header may ask for (about 24 days: the most a Node timer can wait). */
const MAX_HEADER_BUDGET_MS = 2_147_483_647;

export interface RequestScope {
  /** When the request's budget runs out, on the `performance.now()` clock of this process. */
  readonly deadline: number;
  /** The budget the request started with, in milliseconds. */
  readonly budgetMs: number;
  /** The incoming `Authorization` header, for downstreams configured to forward the caller's bearer token. */
  readonly authorization?: string | undefined;
  /** The incoming (or generated) request id, forwarded as `x-request-id`. */
  readonly requestId?: string | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being served, or undefined outside one (start-up, background work). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Milliseconds left in the current request's budget (may be ≤ 0), or undefined outside a request. */
export function remainingBudgetMs(): number | undefined {
  const scope = storage.getStore();
  return scope === undefined ? undefined : scope.deadline - performance.now();
}

/**
 * Runs `work` with a budget of `budgetMs`, never more than what the enclosing scope has left. For
 * background jobs and tests; requests get their scope from `requestDeadline`.
 */
export function runWithDeadline<T>(budgetMs: number, work: () => T, extra: Partial<Pick<RequestScope, 'authorization' | 'requestId'>> = {}): T {
  const outer = storage.getStore();
  const now = performance.now();
  const deadline = Math.min(now + budgetMs, outer?.deadline ?? Number.POSITIVE_INFINITY);
  return storage.run(
    {
      deadline,
      budgetMs: Math.max(0, deadline - now),
      authorization: extra.authorization ?? outer?.authorization,
      requestId: extra.requestId ?? outer?.requestId,
    },
    work,
  );
}

/**
 * Parses an `x-timeout-ms` value: a non-negative integer of milliseconds. Anything else (empty,
 * signs, units, fractions, absurd sizes) is ignored rather than refused: a budget is advice.
 */
export function parseDeadlineHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value.trim())) return undefined;
  const ms = Number(value.trim());
  return ms <= MAX_HEADER_BUDGET_MS ? ms : undefined;
}

export interface RequestDeadlineOptions {
  /** The service's own budget for a request (`REQUEST_DEADLINE_MS`); a caller can only shorten it. */
  defaultMs: number;
  /**
   * The shortest budget an untrusted caller can ask for (`REQUEST_DEADLINE_FLOOR_MS`), so that a
   * public `x-timeout-ms: 0` cannot make the service skip its dependencies. Never above `defaultMs`.
   */
  floorMs: number;
  /** Whether the caller may shorten the budget below the floor; by default none is trusted. */
  isTrustedCaller?: (ctx: Context) => boolean;
}

/** The budget for a caller asking for `askedMs` (undefined: no valid header). */
export function effectiveBudgetMs(askedMs: number | undefined, options: RequestDeadlineOptions, trusted: boolean): number {
  if (askedMs === undefined) return options.defaultMs;
  const floorMs = trusted ? 0 : Math.min(options.floorMs, options.defaultMs);
  return Math.min(Math.max(askedMs, floorMs), options.defaultMs);
}

/**
 * Koa middleware: the request's budget is the caller's `x-timeout-ms` bounded by the service's
 * default above and, for untrusted callers, by the floor below; it is kept in AsyncLocalStorage for
 * the outbound client. It never cuts the request itself short: it bounds what the request waits for
 * downstream.
 */
export function requestDeadline(options: RequestDeadlineOptions) {
  const isTrusted = options.isTrustedCaller ?? (() => false);
  // Not async: the scope's promise is next()'s, with no frame of its own per request.
  return function requestDeadlineScope(ctx: Context, next: Next): Promise<void> {
    const asked = parseDeadlineHeader(ctx.get(DEADLINE_HEADER) || undefined);
    const budgetMs = effectiveBudgetMs(asked, options, asked !== undefined && isTrusted(ctx));
    const scope: RequestScope = {
      deadline: performance.now() + budgetMs,
      budgetMs,
      authorization: ctx.get('authorization') || undefined,
      requestId: requestState(ctx).requestId,
    };
    return storage.run(scope, next);
  };
}
