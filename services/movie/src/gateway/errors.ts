/**
 * What a gateway reports, independent of the transport behind it: the controller maps these to its
 * own outcomes and never sees HTTP status codes or client errors.
 */

/** The downstream answered that the requested record does not exist. */
export class GatewayNotFoundError extends Error {
  constructor(
    readonly peer: string,
    readonly resource: string,
  ) {
    super(`${peer} has no ${resource}`);
    this.name = 'GatewayNotFoundError';
  }
}

/**
 * The downstream could not give a usable answer: connection refused or reset, no answer within the
 * timeout, an unexpected status, or a body that does not match its contract.
 */
export class GatewayUnavailableError extends Error {
  constructor(
    readonly peer: string,
    /** Short, loggable reason, e.g. `status 500`, `timeout after 1000 ms`, `ECONNREFUSED`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${peer} unavailable: ${reason}`, options);
    this.name = 'GatewayUnavailableError';
  }
}
