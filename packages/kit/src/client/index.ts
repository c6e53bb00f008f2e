// What services use of the downstream client; the layers and the transport stay inside.
export type { DownstreamAuth, OAuthClientCredentials } from './auth.js';
export type { BreakerStateName } from './breaker.js';
// The attempt span's parts, for bench:unsampled, which measures them alone.
export { attemptTarget, endAnsweredAttempt, endFailedAttempt, traceAttempt, type AttemptTarget, type TracedAttempt } from './attempt-span.js';
export type { DownstreamResponse } from './call.js';
export { DownstreamClient, type CallOptions, type DownstreamOptions } from './client.js';
export * from './deadline.js';
export * from './env.js';
export { DownstreamUnavailableError, UnknownDownstreamError, type DownstreamFailureKind } from './errors.js';
export { IDEMPOTENT_METHODS, parseRetryAfter, RETRIABLE_STATUSES } from './layers/retry.js';
export * from './policy.js';
export * from './registry.js';
export { RetryBudget } from './retry-budget.js';
