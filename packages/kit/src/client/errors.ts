import { DependencyOutageError } from '../problem.js';

/**
 * An attempt's `error.type` when it got no answer, bounded (a metric label as well as a span attribute):
 * `timeout` or `aborted`, else the errno or undici code of the failure (`ECONNREFUSED`, `UND_ERR_…`), else
 * `_OTHER`.
 */
export function attemptErrorType(error: unknown): string {
  if (error instanceof DownstreamUnavailableError && (error.kind === 'timeout' || error.kind === 'aborted')) return error.kind;
  const failure = error instanceof DownstreamUnavailableError ? error.cause : error;
  const code = (failure as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  return '_OTHER';
}

/**
 * Why a downstream call produced no HTTP answer. An answer with any status (404, 503...) is not an
 * error of the client: it is returned, and the caller decides what it means.
 */
export type DownstreamFailureKind =
  /** No answer within the attempt's timeout (its own, or what was left of the caller's budget). */
  | 'timeout'
  /** The caller's budget was spent before an attempt could start. */
  | 'deadline_exceeded'
  /** Refused, reset, closed, DNS: the request did not get a response. */
  | 'connection'
  /** The circuit breaker is open (or half-open with its trial calls taken): nothing was sent. */
  | 'circuit_open'
  /** The OAuth token could not be obtained. */
  | 'auth'
  /** The caller aborted the call. */
  | 'aborted'
  /** Anything else: a response too large, a malformed response. */
  | 'other'
  /**
   * The downstream answered, but not usably: a status or a body its caller cannot use. The client
   * returns every answer; the code that reads it raises this.
   */
  | 'bad_answer';

/**
 * A downstream call that produced no usable answer: the one error of a downstream outage, whatever
 * its kind. Unhandled, it is answered as a 503 problem naming the downstream.
 */
export class DownstreamUnavailableError extends DependencyOutageError {
  constructor(
    /** The registered name of the downstream (`rating`). */
    readonly peer: string,
    readonly kind: DownstreamFailureKind,
    /** Short, loggable reason: `no answer within 200 ms`, `ECONNREFUSED: ...`, `circuit breaker open`. */
    readonly reason: string,
    options?: { cause?: unknown; attempts?: number },
  ) {
    super(`${peer} unavailable: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DownstreamUnavailableError';
    this.attempts = options?.attempts ?? 0;
  }

  get dependency(): string {
    return `${this.peer} service`;
  }

  /** How many attempts were sent before giving up (0 when nothing was sent). */
  attempts: number;
}

export interface FailureContext {
  /** The attempt's timeout, named in the reason of a timeout. */
  timeoutMs: number;
  /** The caller's own signal: aborted means the caller gave up, not the downstream. */
  callerSignal?: AbortSignal | undefined;
  maxResponseBytes?: number;
}

/** Maps anything undici or a token fetch throws to the one outage error, keeping it as the cause. */
export function unavailableFrom(peer: string, error: unknown, context: FailureContext): DownstreamUnavailableError {
  if (error instanceof DownstreamUnavailableError) return error;
  if (context.callerSignal?.aborted) return new DownstreamUnavailableError(peer, 'aborted', 'aborted by the caller', { cause: error });
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_ABORTED') {
    return new DownstreamUnavailableError(peer, 'timeout', `no answer within ${context.timeoutMs} ms`, { cause: error });
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new DownstreamUnavailableError(peer, 'other', `response larger than ${String(context.maxResponseBytes)} bytes`, { cause: error });
  }
  return new DownstreamUnavailableError(peer, 'connection', describeError(error), { cause: error });
}

/** An error's message with its code (`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/** `get(name)` for a name nobody registered: a wiring mistake, found at start-up. */
export class UnknownDownstreamError extends Error {
  constructor(readonly peer: string) {
    super(`no downstream service is registered as "${peer}"`);
    this.name = 'UnknownDownstreamError';
  }
}
