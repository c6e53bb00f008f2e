import type { Metadata } from '../model.js';

export type PutOutcome = 'created' | 'replaced';

export interface ListQuery {
  limit: number;
  /** Return records whose id sorts after this one. */
  afterId?: string;
}

/** Storage of movie metadata; ids sort by their binary value so keyset pages are stable. */
export interface MetadataRepository {
  get(id: string): Promise<Metadata | undefined>;
  put(metadata: Metadata): Promise<PutOutcome>;
  list(query: ListQuery): Promise<Metadata[]>;
}
