import { z } from 'zod';

export const recordId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 characters: letters, digits, . _ - (not first)')
  .describe('Movie id');

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
