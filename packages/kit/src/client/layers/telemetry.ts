import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { httpClientDuration, httpClientRetries } from '../../metrics/registry.js';
import { redactQuery, withSpan } from '@cinemetrics/telemetry';
import type { BreakerStateName } from '../breaker.js';
import type { Call, DownstreamResponse, Layer, OutboundRequest } from '../call.js';
import { attemptErrorType, unavailableFrom } from '../errors.js';
import { endAnsweredAttempt, endFailedAttempt, traceAttempt, type AttemptTarget } from '../attempt-span.js';

/**
 * What a logical call leaves behind: one span `Downstream/<name> <METHOD>` over all its attempts
 * (the attempts' spans are its children, attemptSpans), one log line when it ends (`downstream call
 * failed` at warn; `downstream call completed` at info after retries, at debug on the first attempt),
 * and its outcome as one DownstreamUnavailableError when it got no usable answer.
 */
export function callTelemetry(peer: string, logger: Logger, breakerState: () => BreakerStateName): Layer {
  return (next) => (request) => {
    const started = performance.now();
    // What spans and log lines show of the path: credential query values redacted.
    const shownPath = redactQuery(request.path);
    return withSpan(
      `Downstream/${peer} ${request.method}`,
      {
        'peer.service': peer,
        'http.request.method': request.method,
        'url.path': shownPath,
        'cinemetrics.circuit_breaker.state': breakerState(),
      },
      async (span) => {
        const finish = (fields: Record<string, unknown>, failed: boolean) => {
          const attempts = request.call.attempts;
          span.setAttributes({ 'cinemetrics.downstream.attempts': attempts, 'cinemetrics.circuit_breaker.state': breakerState() });
          const line = {
            peer_service: peer,
            'http.method': request.method,
            'url.path': shownPath,
            attempts,
            duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
            ...fields,
          };
          if (failed) logger.warn(line, 'downstream call failed');
          else if (attempts > 1) logger.info(line, 'downstream call completed');
          // The span and the client metrics already hold every call; a line per plain success is volume.
          else logger.debug(line, 'downstream call completed');
        };
        try {
          const response = await next(request);
          response.attempts = request.call.attempts;
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `status ${response.status}` });
          finish({ 'http.status_code': response.status }, response.status >= 500);
          return response;
        } catch (caught) {
          const failure = unavailableFrom(peer, caught, { timeoutMs: 0, callerSignal: request.callerSignal });
          failure.attempts = request.call.attempts;
          finish({ kind: failure.kind, reason: failure.reason }, true);
          throw failure;
        }
      },
    );
  };
}

/** Counts every attempt the call starts, sent or refused by the breaker; the count ends up on the span, the log line and the outcome. */
export const countAttempts: Layer = (next) => (request) => {
  request.call.attempts += 1;
  return next(request);
};

/**
 * Every attempt sent, measured in `http_client_request_duration_seconds` (status, or an `error_type`
 * when there was no answer); every retry sent counted in `http_client_retries_total`.
 */
export function attemptMetrics(peer: string): Layer {
  return (next) => async (request) => {
    if (request.call.attempts > 1) httpClientRetries.inc({ peer_service: peer });
    const started = performance.now();
    const observe = (status: string, errorType: string) =>
      httpClientDuration.observe(
        { peer_service: peer, http_request_method: request.method, http_response_status_code: status, error_type: errorType },
        (performance.now() - started) / 1000,
      );
    try {
      const response = await next(request);
      observe(String(response.status), response.status >= 400 ? String(response.status) : '');
      return response;
    } catch (error) {
      observe('', attemptErrorType(error));
      throw error;
    }
  };
}

/**
 * Every attempt sent gets its `CLIENT` span under a sampled request, and carries its trace context
 * (attempt-span.ts); `error.type` as the duration metric's `error_type` says it. Where the kit does not
 * trace attempts (telemetry off, or another SDK's undici instrumentation does), the layer is not there.
 */
export function attemptSpans(target: AttemptTarget): Layer {
  if (!target.spans) return (next) => next;
  return (next) => (request) => {
    const { headers, span } = traceAttempt(target, { method: request.method, path: request.path, headers: request.headers, resends: request.call.attempts - 1 });
    const traced = headers === request.headers ? request : { ...request, headers };
    return span === undefined ? next(traced) : sendInSpan(next, traced, span);
  };
}

async function sendInSpan(next: Call, request: OutboundRequest, span: Span): Promise<DownstreamResponse> {
  try {
    const response = await next(request);
    endAnsweredAttempt(span, response.status);
    return response;
  } catch (error) {
    endFailedAttempt(span, error);
    throw error;
  }
}
