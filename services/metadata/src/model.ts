import { recordIdSchema } from '@cinemetrics/kit';
import { z } from 'zod';

export const recordId = recordIdSchema.describe('Movie id');

export const metadataFields = z.strictObject({
  title: z.string().trim().min(1).max(255),
  year: z.int().min(1870).max(2100).nullable().default(null),
  description: z.string().max(10_000).default(''),
  director: z.string().max(255).default(''),
  actors: z.array(z.string().trim().min(1).max(255)).max(200).default([]),
});

export const metadataSchema = metadataFields.extend({ id: recordId });
export type Metadata = z.infer<typeof metadataSchema>;

export const metadataPageSchema = z.object({
  items: z.array(metadataSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page'),
});
export type MetadataPage = z.infer<typeof metadataPageSchema>;
