import { currentRequestScope, DownstreamUnavailableError, type Logger } from '@cinemetrics/kit';
import { GatewayNotFoundError } from './gateway/errors.js';
import type { MetadataGateway, RatingGateway } from './gateway/gateway.js';
import type { DegradablePart, MovieDetails, RatingSummary } from './model.js';

export class MovieNotFoundError extends Error {
  constructor(readonly id: string) {
    super('movie metadata not found');
    this.name = 'MovieNotFoundError';
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof DownstreamUnavailableError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

export class MovieController {
  constructor(
    private readonly metadata: MetadataGateway,
    private readonly rating: RatingGateway,
    private readonly logger: Logger,
  ) {}

  /**
   * Metadata and rating are fetched in parallel, so the answer takes as long as the slower of the two,
   * not their sum. Metadata is essential: missing → MovieNotFoundError, failing → its
   * DownstreamUnavailableError, which the kit answers as a 503 naming the metadata service. Rating is
   * not: failing → the answer without it, marked degraded.
   */
  async getMovieDetails(id: string): Promise<MovieDetails> {
    const [metadata, rating] = await Promise.allSettled([
      this.metadata.getMetadata(id),
      this.rating.getMovieRating(id),
    ]);

    if (metadata.status === 'rejected') {
      if (metadata.reason instanceof GatewayNotFoundError) throw new MovieNotFoundError(id);
      // An outage stays the kit's outage error (a 503); anything else is a defect here (a 500).
      throw metadata.reason;
    }

    const degraded: DegradablePart[] = [];
    let summary: RatingSummary | null = null;
    if (rating.status === 'fulfilled') {
      summary = rating.value;
    } else {
      degraded.push('rating');
      this.logger.warn(
        { dependency: 'rating', movie_id: id, reason: reasonOf(rating.reason), request_id: currentRequestScope()?.requestId },
        'rating unavailable; answering without it',
      );
    }
    return { metadata: metadata.value, rating: summary, degraded };
  }
}
