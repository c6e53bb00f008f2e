import type { DownstreamClient } from '@cinemetrics/kit';
import type { RatingGateway } from './gateway.js';
import { ratingSummarySchema, type RatingSummary } from '../model.js';
import { getJson } from './http.js';

/** The rating service over HTTP: `GET {RATING_URL}/ratings/movie/{id}`. */
export class HttpRatingGateway implements RatingGateway {
  constructor(private readonly client: DownstreamClient) {}

  /** The movie's aggregate rating; null when nobody has rated it (the service answers 404). */
  async getMovieRating(id: string): Promise<RatingSummary | null> {
    const answer = await getJson(this.client, `/ratings/movie/${encodeURIComponent(id)}`, ratingSummarySchema);
    return answer.status === 'not_found' ? null : answer.value;
  }
}
