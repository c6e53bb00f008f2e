/**
 * What the controller needs from the services it joins, defined by the controller's needs; the
 * HTTP implementations are beside this file. The request id and the deadline travel with the kit
 * client, not through these calls.
 */
import type { Metadata, RatingSummary } from '../model.js';

/**
 * What the controller needs from the metadata service. Rejects with GatewayNotFoundError when the
 * movie does not exist and DownstreamUnavailableError (the kit's outage error) when the service cannot answer.
 */
export interface MetadataGateway {
  getMetadata(id: string): Promise<Metadata>;
}

/**
 * What the controller needs from the rating service: the movie's aggregate, null when nobody rated
 * it. Rejects with DownstreamUnavailableError when the service cannot answer.
 */
export interface RatingGateway {
  getMovieRating(id: string): Promise<RatingSummary | null>;
}
