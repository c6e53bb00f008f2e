import { LRUCache } from 'lru-cache';
import { cacheRequests } from '../metrics/registry.js';
import { withSpan } from '@cinemetrics/telemetry';

export interface ReadThroughCacheOptions {
  /** The `cache` label of `cache_requests_total` and the span attribute: `metadata`. */
  name: string;
  /** At most this many entries; the least recently used goes first. 0 disables the cache. */
  maxEntries: number;
  /** An entry older than this is gone (a miss). 0 disables the cache. */
  ttlMs: number;
  /** Clock in milliseconds, for tests; read on every lookup. */
  now?: () => number;
}

/**
 * A read-through cache: `get(key, load)` answers from memory when it can, otherwise calls `load` and
 * keeps what it returns, in an `lru-cache` bounded by entries and age. Failures are never kept, so an
 * outage is not remembered. Each lookup counts in `cache_requests_total{cache,result}`
 * and is a span `Cache/<name> Get` with `cinemetrics.cache.hit`, so a trace shows whether a downstream
 * call was saved (on a miss the load, e.g. the downstream call, is its child).
 */
export class ReadThroughCache<V extends NonNullable<unknown>> {
  /** Undefined when the cache is turned off. */
  private readonly entries: LRUCache<string, V> | undefined;

  constructor(private readonly options: ReadThroughCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 0) throw new RangeError('maxEntries must be an integer ≥ 0');
    if (!(options.ttlMs >= 0)) throw new RangeError('ttlMs must be ≥ 0');
    if (options.maxEntries > 0 && options.ttlMs > 0) {
      const clock = options.now;
      this.entries = new LRUCache<string, V>({
        max: options.maxEntries,
        ttl: options.ttlMs,
        ...(clock === undefined ? {} : { perf: { now: clock }, ttlResolution: 0 }),
      });
    }
    // Both series exist from the start, so rate() and ratios work before the first hit.
    for (const result of ['hit', 'miss']) cacheRequests.inc({ cache: options.name, result }, 0);
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    return withSpan(`Cache/${this.options.name} Get`, { 'cinemetrics.cache.name': this.options.name, 'cinemetrics.cache.key': key }, async (span) => {
      const cached = this.entries?.get(key);
      const hit = cached !== undefined;
      cacheRequests.inc({ cache: this.options.name, result: hit ? 'hit' : 'miss' });
      span.setAttribute('cinemetrics.cache.hit', hit);
      if (hit) return cached;
      const value = await load();
      this.entries?.set(key, value);
      return value;
    });
  }
}
