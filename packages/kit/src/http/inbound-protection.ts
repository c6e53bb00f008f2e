import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { sendProblem } from './errors.js';
import { httpServerRejected } from '../metrics/registry.js';
import { overloaded, ProblemError } from '../problem.js';
import { ConcurrencyLimit } from '../protection/concurrency-limit.js';
import { EventLoopDelayMonitor, type EventLoopDelaySource } from '../protection/event-loop-delay.js';
import type { InboundProtectionSettings } from '../protection/settings.js';
import { TokenBucket, type Clock } from '../protection/token-bucket.js';
import { requestState } from '../request-context.js';

/** The `reason` label of `http_server_rejected_requests_total`. */
export type RejectionReason = 'rate_limit' | 'overload';

/** The policy name in the RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers). */
const POLICY_NAME = '"inbound"';

export interface InboundProtectionOptions {
  /** Time source of the token bucket (tests). */
  clock?: Clock;
  /** Event-loop lag source (tests); by default a monitor is started when a delay limit is set. */
  eventLoop?: EventLoopDelaySource;
  /**
   * Called before a rejection is answered, to give the request its route template: rejected
   * requests never reach the router, yet their metrics and access-log lines should name the route.
   */
  labelRoute?: (ctx: Context) => void;
}

/**
 * Gives a request the template of the route `router` would dispatch it to (read by `routeTemplate`):
 * a refused request never reaches the router; requests no route matches keep none.
 */
export function routeLabeller(router: Router): (ctx: Context) => void {
  return (ctx) => {
    const layer = router.match(ctx.path, ctx.method).pathAndMethod.findLast((candidate) => candidate.methods.length > 0);
    if (layer && typeof layer.path === 'string') requestState(ctx).refusedRouteTemplate = layer.path;
  };
}

/**
 * Never refused, wherever the middleware is mounted: probes and discovery documents, including
 * public ones a service serves itself (auth's `/.well-known/jwks.json`, which every other service
 * needs to verify tokens).
 */
function isExempt(path: string): boolean {
  return path.startsWith('/.well-known/') || path === '/openapi.json';
}

function rateLimited(ratePerSecond: number, burst: number, retryAfterSeconds: number): ProblemError {
  return new ProblemError({
    status: 429,
    type: 'https://cinemetrics.dev/problems/rate-limited',
    title: 'Too many requests',
    detail: `This instance accepts ${ratePerSecond} requests per second in bursts of up to ${burst}; retry after ${retryAfterSeconds} s`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/**
 * Refuses work the instance should not take, before the body is read or a handler runs:
 * 1. rate limit (token bucket for the whole instance) → 429 with `Retry-After` computed from the bucket;
 * 2. event-loop lag above the limit → 503 with `Retry-After`;
 * 3. more requests in flight than allowed → 503 with `Retry-After`.
 * Every refusal is counted in `http_server_rejected_requests_total{reason}` and answered as
 * problem+json by this middleware itself, so it still passes the access log and the request metrics.
 * Paths under `/.well-known/` and `/openapi.json` are never refused; mount it after the well-known
 * routes anyway, so probes do not even pass through it.
 */
export function inboundProtection(settings: InboundProtectionSettings, options: InboundProtectionOptions = {}): Middleware {
  const bucket = settings.rateLimit ? new TokenBucket(settings.rateLimit.ratePerSecond, settings.rateLimit.burst, options.clock) : undefined;
  const limit = settings.maxInFlight ? new ConcurrencyLimit(settings.maxInFlight) : undefined;
  const delayLimitMs = settings.eventLoopDelayLimitMs;
  const eventLoop = delayLimitMs ? (options.eventLoop ?? new EventLoopDelayMonitor()) : undefined;
  const policy = bucket ? `${POLICY_NAME};q=${bucket.burst};w=${Math.max(1, Math.ceil(bucket.burst / bucket.ratePerSecond))}` : '';

  const reject = (ctx: Context, reason: RejectionReason, problem: ProblemError): void => {
    httpServerRejected.inc({ reason });
    options.labelRoute?.(ctx);
    sendProblem(ctx, problem);
  };

  return async function inboundProtection(ctx: Context, next: Next): Promise<void> {
    if (isExempt(ctx.path)) {
      await next();
      return;
    }
    if (bucket) {
      const taken = bucket.tryTake();
      ctx.set('ratelimit-policy', policy);
      ctx.set('ratelimit', `${POLICY_NAME};r=${taken.allowed ? taken.remaining : 0};t=${bucket.secondsUntil(bucket.burst)}`);
      if (!taken.allowed) return reject(ctx, 'rate_limit', rateLimited(bucket.ratePerSecond, bucket.burst, taken.retryAfterSeconds));
    }
    if (eventLoop && delayLimitMs && eventLoop.delayMs() > delayLimitMs) {
      return reject(ctx, 'overload', overloaded('The service is too busy to take more work'));
    }
    if (limit && !limit.tryAcquire()) return reject(ctx, 'overload', overloaded('The service has too many requests in flight'));
    try {
      await next();
    } finally {
      limit?.release();
    }
  };
}
