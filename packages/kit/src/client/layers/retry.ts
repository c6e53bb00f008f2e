import { trace } from '@opentelemetry/api';
import { DelegateBackoff, fullJitterGenerator, handleWhenResult, retry } from 'cockatiel';
import type { DownstreamResponse, Layer, OutboundRequest } from '../call.js';
import { DownstreamUnavailableError, type DownstreamFailureKind } from '../errors.js';
import type { RetrySettings } from '../policy.js';
import { RetryBudget } from '../retry-budget.js';
import { MIN_ATTEMPT_MS } from './deadline.js';

/** Methods that may be repeated without changing the result (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses that say "try again": too many requests, and the gateway/unavailable family. Never 4xx otherwise, never 500. */
export const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What one pass through the layers below gave, and whether (after how long) to try again. */
interface Attempted {
  response?: DownstreamResponse;
  error?: DownstreamUnavailableError;
  retryAfterMs: number | undefined;
}

function isRetriableFailure(kind: DownstreamFailureKind): boolean {
  return kind === 'timeout' || kind === 'connection';
}

/**
 * Safe retries: only idempotent methods (or calls with an idempotency key), only after a timeout, a
 * connection failure or a 429/502/503/504, after exponential backoff with full jitter or the
 * downstream's `Retry-After` when longer, only when the wait and a useful attempt fit in the call's
 * budget, and only while the downstream's retry budget allows. cockatiel runs the loop; each pass
 * returns its outcome as a value with the wait it asks for, so giving up is an ordinary answer.
 */
export function retryWithBudget(settings: RetrySettings): Layer {
  const budget = new RetryBudget(settings.budget);
  const policy = retry(
    handleWhenResult((value) => (value as Attempted).retryAfterMs !== undefined),
    {
      maxAttempts: settings.maxAttempts - 1,
      backoff: new DelegateBackoff((context) => ('value' in context.result ? ((context.result.value as Attempted).retryAfterMs ?? 0) : 0)),
    },
  );

  function nextWait(outcome: Omit<Attempted, 'retryAfterMs'>, attempt: number, request: OutboundRequest): number | undefined {
    const status = outcome.response?.status;
    const worthRetrying = outcome.error !== undefined ? isRetriableFailure(outcome.error.kind) : status !== undefined && RETRIABLE_STATUSES.has(status);
    if (!worthRetrying) return undefined;
    const span = trace.getActiveSpan();
    const reason = outcome.error?.kind ?? `status ${String(status)}`;
    const skip = (why: string) => {
      span?.addEvent('retry skipped', { 'cinemetrics.retry.skipped_because': why, 'cinemetrics.retry.outcome': reason });
      return undefined;
    };
    if (!IDEMPOTENT_METHODS.has(request.method) && request.idempotencyKey === undefined) return skip('method not idempotent');
    if (attempt + 1 >= settings.maxAttempts) return skip('max attempts');
    if (request.call.signal.aborted) return skip('aborted');
    const [jitter] = fullJitterGenerator(attempt, {
      generator: fullJitterGenerator,
      initialDelay: settings.baseDelayMs,
      maxDelay: settings.maxDelayMs,
      exponent: 2,
    });
    const retryAfterMs = parseRetryAfter(outcome.response?.headers['retry-after']);
    const delayMs = Math.max(jitter, retryAfterMs ?? 0);
    if (performance.now() + delayMs + MIN_ATTEMPT_MS >= request.call.deadlineAt) return skip('deadline');
    if (!budget.tryAcquireRetry()) return skip('retry budget');
    span?.addEvent('retry', {
      'cinemetrics.retry.attempt': attempt + 2,
      'cinemetrics.retry.delay_ms': delayMs,
      'cinemetrics.retry.outcome': reason,
      ...(retryAfterMs === undefined ? {} : { 'cinemetrics.retry.retry_after_ms': retryAfterMs }),
    });
    return delayMs;
  }

  return (next) => async (request) => {
    budget.recordCall();
    const final = (await policy.execute(async ({ attempt }) => {
      const outcome = await next(request).then(
        (response) => ({ response }),
        (error: unknown) => {
          // Outages are outcomes to decide on; anything else is a defect and goes straight up.
          if (error instanceof DownstreamUnavailableError) return { error };
          throw error;
        },
      );
      return { ...outcome, retryAfterMs: nextWait(outcome, attempt, request) } satisfies Attempted;
    }, request.call.signal)) as Attempted;
    if (final.error !== undefined) throw final.error;
    return final.response as DownstreamResponse;
  };
}
