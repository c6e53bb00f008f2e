import type { Metadata } from '../model.js';
import type { ListQuery, MetadataRepository, PutOutcome } from './repository.js';

/** For local runs and tests: a sorted in-process store with the MySQL repository's semantics. */
export class MemoryMetadataRepository implements MetadataRepository {
  private readonly records = new Map<string, Metadata>();
  private sortedIds: string[] | undefined;

  get(id: string): Promise<Metadata | undefined> {
    const record = this.records.get(id);
    return Promise.resolve(record && copy(record));
  }

  put(metadata: Metadata): Promise<PutOutcome> {
    const existed = this.records.has(metadata.id);
    this.records.set(metadata.id, copy(metadata));
    if (!existed) this.sortedIds = undefined;
    return Promise.resolve(existed ? 'replaced' : 'created');
  }

  list({ limit, afterId }: ListQuery): Promise<Metadata[]> {
    this.sortedIds ??= [...this.records.keys()].sort(compareBinary);
    const ids = this.sortedIds;
    let start = 0;
    if (afterId !== undefined) {
      // Binary search for the first id greater than afterId.
      let high = ids.length;
      while (start < high) {
        const middle = (start + high) >>> 1;
        if (compareBinary(ids[middle] as string, afterId) <= 0) start = middle + 1;
        else high = middle;
      }
    }
    return Promise.resolve(ids.slice(start, start + limit).map((id) => copy(this.records.get(id) as Metadata)));
  }
}

/** Callers never share objects with the store; a record's only nested value is the actors list. */
function copy(record: Metadata): Metadata {
  return { ...record, actors: [...record.actors] };
}

/** Ids are ASCII, so code-unit order equals MySQL's binary order. */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
