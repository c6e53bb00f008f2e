import { z } from 'zod';

/** How a downstream is called. Every field has a default (`DEFAULT_DOWNSTREAM_POLICY`); docs/resilience.md explains each. */
export interface DownstreamPolicy {
  /** Bound on one attempt: connect, headers and body. The caller's remaining budget can only shorten it. */
  timeoutMs: number;
  /** The budget of a call made outside any request (start-up, background work). */
  defaultDeadlineMs: number;
  retry: RetrySettings;
  breaker: BreakerSettings;
  /** Bound on the `/.well-known/alive` probes (readiness and breaker probes). */
  healthTimeoutMs: number;
  /** Connections kept to the downstream (one pool per downstream, keep-alive). */
  maxConnections: number;
  /** Bodies above this size are refused rather than buffered. */
  maxResponseBytes: number;
}

export interface RetrySettings {
  /** Attempts per call, the first included; 1 turns retries off. */
  maxAttempts: number;
  /** Exponential backoff with full jitter: the n-th retry waits a random time in [0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹)). */
  baseDelayMs: number;
  maxDelayMs: number;
  budget: RetryBudgetSettings;
}

export interface RetryBudgetSettings {
  /** Retries may add at most this share of the calls made in the window (0.1 = 10 %). */
  ratio: number;
  /** Plus this many retries per second of window, so a quiet service can still retry. */
  minPerSecond: number;
  windowMs: number;
}

export interface BreakerSettings {
  /** Opens when more than this share of the calls in the window failed... */
  failureRatio: number;
  windowMs: number;
  /** ...and at least this many calls were made in the window. */
  minCalls: number;
  /** While open, `/.well-known/alive` is probed this often; a success lets trial calls through (half-open). */
  probeIntervalMs: number;
  /** Trial calls let through half-open; all must succeed to close, one failure reopens. */
  halfOpenCalls: number;
}

export const DEFAULT_DOWNSTREAM_POLICY: DownstreamPolicy = {
  timeoutMs: 1_000,
  defaultDeadlineMs: 5_000,
  retry: {
    maxAttempts: 3,
    baseDelayMs: 50,
    maxDelayMs: 1_000,
    budget: { ratio: 0.1, minPerSecond: 1, windowMs: 10_000 },
  },
  breaker: { failureRatio: 0.5, windowMs: 10_000, minCalls: 5, probeIntervalMs: 2_000, halfOpenCalls: 2 },
  healthTimeoutMs: 500,
  maxConnections: 64,
  maxResponseBytes: 1024 * 1024,
};

/** A partial policy: what a service or one downstream overrides. */
export interface DownstreamPolicyOverrides {
  timeoutMs?: number;
  defaultDeadlineMs?: number;
  retry?: Partial<Omit<RetrySettings, 'budget'>> & { budget?: Partial<RetryBudgetSettings> };
  breaker?: Partial<BreakerSettings>;
  healthTimeoutMs?: number;
  maxConnections?: number;
  maxResponseBytes?: number;
}

export function mergePolicy(base: DownstreamPolicy, overrides: DownstreamPolicyOverrides = {}): DownstreamPolicy {
  return {
    timeoutMs: overrides.timeoutMs ?? base.timeoutMs,
    defaultDeadlineMs: overrides.defaultDeadlineMs ?? base.defaultDeadlineMs,
    retry: {
      maxAttempts: overrides.retry?.maxAttempts ?? base.retry.maxAttempts,
      baseDelayMs: overrides.retry?.baseDelayMs ?? base.retry.baseDelayMs,
      maxDelayMs: overrides.retry?.maxDelayMs ?? base.retry.maxDelayMs,
      budget: { ...base.retry.budget, ...overrides.retry?.budget },
    },
    breaker: { ...base.breaker, ...overrides.breaker },
    healthTimeoutMs: overrides.healthTimeoutMs ?? base.healthTimeoutMs,
    maxConnections: overrides.maxConnections ?? base.maxConnections,
    maxResponseBytes: overrides.maxResponseBytes ?? base.maxResponseBytes,
  };
}

const ms = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const ratio = z.coerce.number().min(0).max(1);
const d = DEFAULT_DOWNSTREAM_POLICY;

/**
 * The `DOWNSTREAM_*` variables of a service that calls others: extend the service's schema with it
 * (`serviceEnvWithDefaults(...).extend(downstreamPolicyEnvShape)`) and pass the parsed values to
 * `downstreamPolicyFromEnv`. They apply to every downstream of the service.
 */
export const downstreamPolicyEnvShape = {
  /** Bound on one downstream attempt: connect, headers and body together. */
  DOWNSTREAM_TIMEOUT_MS: ms(10, 60_000).default(d.timeoutMs),
  DOWNSTREAM_MAX_ATTEMPTS: ms(1, 10).default(d.retry.maxAttempts),
  DOWNSTREAM_RETRY_BASE_DELAY_MS: ms(1, 60_000).default(d.retry.baseDelayMs),
  DOWNSTREAM_RETRY_MAX_DELAY_MS: ms(1, 60_000).default(d.retry.maxDelayMs),
  DOWNSTREAM_RETRY_BUDGET_RATIO: ratio.default(d.retry.budget.ratio),
  DOWNSTREAM_RETRY_BUDGET_MIN_PER_SECOND: z.coerce.number().min(0).max(10_000).default(d.retry.budget.minPerSecond),
  DOWNSTREAM_RETRY_BUDGET_WINDOW_MS: ms(1_000, 600_000).default(d.retry.budget.windowMs),
  DOWNSTREAM_BREAKER_FAILURE_RATIO: z.coerce.number().gt(0).lt(1).default(d.breaker.failureRatio),
  DOWNSTREAM_BREAKER_WINDOW_MS: ms(1_000, 600_000).default(d.breaker.windowMs),
  DOWNSTREAM_BREAKER_MIN_CALLS: ms(1, 1_000_000).default(d.breaker.minCalls),
  DOWNSTREAM_BREAKER_PROBE_INTERVAL_MS: ms(50, 600_000).default(d.breaker.probeIntervalMs),
  DOWNSTREAM_BREAKER_HALF_OPEN_CALLS: ms(1, 1_000).default(d.breaker.halfOpenCalls),
  DOWNSTREAM_HEALTH_TIMEOUT_MS: ms(10, 60_000).default(d.healthTimeoutMs),
  DOWNSTREAM_MAX_CONNECTIONS: ms(1, 10_000).default(d.maxConnections),
};

export type DownstreamPolicyEnv = { [K in keyof typeof downstreamPolicyEnvShape]: z.infer<(typeof downstreamPolicyEnvShape)[K]> };

/** The policy every downstream of the service starts from, from the parsed `DOWNSTREAM_*` and `REQUEST_DEADLINE_MS`. */
export function downstreamPolicyFromEnv(env: DownstreamPolicyEnv & { REQUEST_DEADLINE_MS?: number }): DownstreamPolicy {
  return {
    timeoutMs: env.DOWNSTREAM_TIMEOUT_MS,
    defaultDeadlineMs: env.REQUEST_DEADLINE_MS ?? d.defaultDeadlineMs,
    retry: {
      maxAttempts: env.DOWNSTREAM_MAX_ATTEMPTS,
      baseDelayMs: env.DOWNSTREAM_RETRY_BASE_DELAY_MS,
      maxDelayMs: env.DOWNSTREAM_RETRY_MAX_DELAY_MS,
      budget: {
        ratio: env.DOWNSTREAM_RETRY_BUDGET_RATIO,
        minPerSecond: env.DOWNSTREAM_RETRY_BUDGET_MIN_PER_SECOND,
        windowMs: env.DOWNSTREAM_RETRY_BUDGET_WINDOW_MS,
      },
    },
    breaker: {
      failureRatio: env.DOWNSTREAM_BREAKER_FAILURE_RATIO,
      windowMs: env.DOWNSTREAM_BREAKER_WINDOW_MS,
      minCalls: env.DOWNSTREAM_BREAKER_MIN_CALLS,
      probeIntervalMs: env.DOWNSTREAM_BREAKER_PROBE_INTERVAL_MS,
      halfOpenCalls: env.DOWNSTREAM_BREAKER_HALF_OPEN_CALLS,
    },
    healthTimeoutMs: env.DOWNSTREAM_HEALTH_TIMEOUT_MS,
    maxConnections: env.DOWNSTREAM_MAX_CONNECTIONS,
    maxResponseBytes: d.maxResponseBytes,
  };
}
