import { recordIdSchema } from '@cinemetrics/kit';
import { z } from 'zod';

/** The rule the metadata service applies to its ids, so a request it would reject never leaves. */
export const movieId = recordIdSchema.describe('Movie id');

/** A movie record as the metadata service returns it (fields this API does not publish are dropped). */
export const metadataSchema = z.object({
  id: movieId,
  title: z.string(),
  year: z.int().nullable(),
  description: z.string(),
  director: z.string(),
  actors: z.array(z.string()),
});
export type Metadata = z.infer<typeof metadataSchema>;

/**
 * A copy that shares nothing changeable with `record`: every field is a primitive but `actors`. A
 * copy by field, where `structuredClone` would serialize the whole record and cost far more per request.
 */
export function copyMetadata(record: Metadata): Metadata {
  return { ...record, actors: [...record.actors] };
}

/** The aggregate of every user's rating of a movie. */
export const ratingSummarySchema = z.object({
  average: z.number().min(1).max(5).describe('Mean of all ratings, 1-5'),
  count: z.int().min(1).describe('Number of ratings'),
});
export type RatingSummary = z.infer<typeof ratingSummarySchema>;

/** Parts of an answer that are missing because the dependency providing them failed. */
export const degradableParts = z.enum(['rating']);
export type DegradablePart = z.infer<typeof degradableParts>;

export const movieDetailsSchema = z.object({
  metadata: metadataSchema,
  rating: ratingSummarySchema
    .nullable()
    .describe('null when nobody has rated the movie yet, or when the rating service is failing (see `degraded`)'),
  degraded: z
    .array(degradableParts)
    .describe('Parts left out because their service is failing; empty when the answer is complete'),
});
export type MovieDetails = z.infer<typeof movieDetailsSchema>;
