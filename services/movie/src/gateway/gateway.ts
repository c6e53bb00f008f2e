/**
 * What the controller needs from the services it joins, defined by the controller's needs; the
 * HTTP implementations are beside this file.
 */
import type { Metadata, RatingSummary } from '../model.js';

/** What a call carries from the incoming request to the downstream ones. */
export interface CallContext {
  /** The incoming `x-request-id`, forwarded so one id ties the log lines of every service together. */
  requestId?: string;
}

/**
 * What the controller needs from the metadata service. Rejects with GatewayNotFoundError when the
 * movie does not exist and GatewayUnavailableError when the service cannot answer.
 */
export interface MetadataGateway {
  getMetadata(id: string, context: CallContext): Promise<Metadata>;
}

/**
 * What the controller needs from the rating service: the movie's aggregate, null when nobody rated
 * it. Rejects with GatewayUnavailableError when the service cannot answer.
 */
export interface RatingGateway {
  getMovieRating(id: string, context: CallContext): Promise<RatingSummary | null>;
}
