import { trace } from '@opentelemetry/api';
import type { Layer } from '../call.js';
import { currentRequestScope, DEADLINE_HEADER } from '../deadline.js';
import { DownstreamUnavailableError } from '../errors.js';
import { timeoutSignal } from '../../timeout-signal.js';

/** An attempt is not started with less than this left of the budget: it could not get an answer. */
export const MIN_ATTEMPT_MS = 5;

/**
 * The call's budget: what the request being served has left (the service's default outside one),
 * shortened by the call's own `deadlineMs`. Everything below, retries and their waits included,
 * ends when it runs out or the caller aborts.
 */
export function callDeadline(defaultDeadlineMs: number): Layer {
  return (next) => (request) => {
    const now = performance.now();
    const scope = currentRequestScope();
    const callerLeft = scope === undefined ? defaultDeadlineMs : scope.deadline - now;
    const budgetMs = Math.min(callerLeft, request.deadlineMs ?? Number.POSITIVE_INFINITY);
    const timeout = timeoutSignal(Math.max(0, Math.ceil(budgetMs)), request.callerSignal);
    request.call.deadlineAt = now + budgetMs;
    request.call.signal = timeout.signal;
    trace.getActiveSpan()?.setAttribute('cinemetrics.deadline.budget_ms', Math.max(0, Math.round(budgetMs)));
    return next(request).finally(timeout.clear);
  };
}

/**
 * One attempt's bound: its own timeout, never more than the call has left, sent to the downstream as
 * `x-timeout-ms` so it can give up when this caller will. With too little left nothing is sent.
 */
export function attemptDeadline(peer: string): Layer {
  return (next) => (request) => {
    const remaining = request.call.deadlineAt - performance.now();
    if (remaining < MIN_ATTEMPT_MS) {
      return Promise.reject(new DownstreamUnavailableError(peer, 'deadline_exceeded', `deadline exceeded (${Math.max(0, Math.floor(remaining))} ms left)`));
    }
    const timeoutMs = Math.max(1, Math.floor(Math.min(request.timeoutMs, remaining)));
    return next({ ...request, timeoutMs, headers: { ...request.headers, [DEADLINE_HEADER]: String(timeoutMs) } });
  };
}
