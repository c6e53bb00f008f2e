import type { Rating, RecordKey } from '../model.js';
import type { PutOutcome, RatingRepository, RatingSummary } from './repository.js';

/** For local runs and tests: an in-process store with the MySQL repository's semantics. */
export class MemoryRatingRepository implements RatingRepository {
  /** record key → user id → value */
  private readonly records = new Map<string, Map<string, number>>();

  summarize(key: RecordKey): Promise<RatingSummary | undefined> {
    const values = this.records.get(recordKey(key));
    if (!values || values.size === 0) return Promise.resolve(undefined);
    let total = 0;
    for (const value of values.values()) total += value;
    return Promise.resolve({ average: total / values.size, count: values.size });
  }

  put({ userId, value, ...key }: Rating): Promise<PutOutcome> {
    const id = recordKey(key);
    let values = this.records.get(id);
    if (!values) {
      values = new Map();
      this.records.set(id, values);
    }
    const existed = values.has(userId);
    values.set(userId, value);
    return Promise.resolve(existed ? 'replaced' : 'created');
  }

  delete(key: RecordKey, userId: string): Promise<boolean> {
    const id = recordKey(key);
    const values = this.records.get(id);
    if (!values?.delete(userId)) return Promise.resolve(false);
    if (values.size === 0) this.records.delete(id);
    return Promise.resolve(true);
  }
}

/** Record types never contain `/`, so the pair maps to one string without ambiguity. */
function recordKey({ recordType, recordId }: RecordKey): string {
  return `${recordType}/${recordId}`;
}
