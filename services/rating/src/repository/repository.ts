import type { Rating, RecordKey } from '../model.js';

export type PutOutcome = 'created' | 'replaced';

export interface RatingSummary {
  /** Arithmetic mean of the values, as a JS number (not rounded). */
  average: number;
  count: number;
}

/**
 * Storage of ratings: at most one per user per record. Record types, record ids and user ids compare
 * by their binary value, so ids that differ only in case are different.
 */
export interface RatingRepository {
  /** Undefined when the record has no ratings. */
  summarize(key: RecordKey): Promise<RatingSummary | undefined>;
  /** Creates the user's rating of the record or replaces its value. */
  put(rating: Rating): Promise<PutOutcome>;
  /** False when the user had no rating of the record. */
  delete(key: RecordKey, userId: string): Promise<boolean>;
}
