import type { Rating, RatingAggregate, RecordKey } from './model.js';
import type { PutOutcome, RatingRepository } from './repository/repository.js';

export class RatingsNotFoundError extends Error {
  constructor(readonly key: RecordKey) {
    super('ratings not found for a record');
    this.name = 'RatingsNotFoundError';
  }
}

export class UserRatingNotFoundError extends Error {
  constructor(
    readonly key: RecordKey,
    readonly userId: string,
  ) {
    super('the user has not rated the record');
    this.name = 'UserRatingNotFoundError';
  }
}

export class RatingController {
  constructor(private readonly repository: RatingRepository) {}

  /** Average and count of a record's ratings; RatingsNotFoundError when it has none. */
  async aggregate(key: RecordKey): Promise<RatingAggregate> {
    const summary = await this.repository.summarize(key);
    if (!summary) throw new RatingsNotFoundError(key);
    return { recordType: key.recordType, recordId: key.recordId, average: summary.average, count: summary.count };
  }

  /** Creates or replaces the user's rating: one per user per record. */
  async put(rating: Rating): Promise<PutOutcome> {
    return this.repository.put(rating);
  }

  /** Removes the user's rating; UserRatingNotFoundError when there was none. */
  async delete(key: RecordKey, userId: string): Promise<void> {
    const deleted = await this.repository.delete(key, userId);
    if (!deleted) throw new UserRatingNotFoundError(key, userId);
  }
}
