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
  | 'other';

/** A downstream call that produced no usable HTTP answer. */
export class DownstreamUnavailableError extends Error {
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

  /** How many attempts were sent before giving up (0 when nothing was sent). */
  attempts: number;
}

/** `get(name)` for a name nobody registered: a wiring mistake, found at start-up. */
export class UnknownDownstreamError extends Error {
  constructor(readonly peer: string) {
    super(`no downstream service is registered as "${peer}"`);
    this.name = 'UnknownDownstreamError';
  }
}
