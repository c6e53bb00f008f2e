export interface LruCacheOptions {
  /** At most this many entries; the least recently used goes first. 0 disables the cache. */
  maxEntries: number;
  /** An entry older than this is gone (a miss). 0 disables the cache. */
  ttlMs: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A size- and time-bounded in-memory cache. A Map keeps insertion order, so re-inserting an entry on
 * each hit makes the first key the least recently used one: O(1) lookups, inserts and evictions.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly now: () => number;

  constructor(private readonly options: LruCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 0) throw new RangeError('maxEntries must be an integer ≥ 0');
    if (!(options.ttlMs >= 0)) throw new RangeError('ttlMs must be ≥ 0');
    this.now = options.now ?? (() => performance.now());
  }

  get enabled(): boolean {
    return this.options.maxEntries > 0 && this.options.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (this.now() >= entry.expiresAt) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
