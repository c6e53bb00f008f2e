import { recordIdSchema } from '@cinemetrics/kit';
import { z } from 'zod';

export const recordType = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be 1-32 characters: lower-case letters, digits, _ - (a letter first)')
  .describe('Kind of record rated, e.g. movie, actor');

/** The same rule as the records' own ids (metadata's movie ids). */
export const recordId = recordIdSchema.describe('Id of the rated record');

export const ratingValue = z.int().min(1).max(5).describe('The rating, 1 (worst) to 5 (best)');

export const userId = z.string().describe('The user who rated');

/** The record a rating is about: a type and an id within that type. */
export const recordKeySchema = z.object({ recordType, recordId });
export type RecordKey = z.infer<typeof recordKeySchema>;

/** Body of `PUT /ratings/{recordType}/{recordId}`: the caller's own rating. */
export const ratingBody = z.strictObject({ value: ratingValue });

/** One user's rating of one record. */
export const ratingSchema = recordKeySchema.extend({ userId, value: ratingValue });
export type Rating = z.infer<typeof ratingSchema>;

/** All ratings of one record, summarised. */
export const ratingAggregateSchema = recordKeySchema.extend({
  average: z.number().min(1).max(5).describe('Arithmetic mean of the ratings, not rounded'),
  count: z.int().min(1).describe('How many users rated the record'),
});
export type RatingAggregate = z.infer<typeof ratingAggregateSchema>;
