/**
 * What a gateway reports besides the records it returns. An outage (no answer, or an answer that is
 * not usable) is the kit's DownstreamUnavailableError, the same whatever the transport did.
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
