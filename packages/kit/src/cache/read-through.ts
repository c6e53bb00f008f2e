import { cacheRequests } from '../metrics/registry.js';
import { withSpan } from '../telemetry/spans.js';
import { LruCache, type LruCacheOptions } from './lru.js';

export interface ReadThroughCacheOptions extends LruCacheOptions {
  /** The `cache` label of `cache_requests_total` and the span attribute: `metadata`. */
  name: string;
}

/**
 * A read-through cache: `get(key, load)` answers from memory when it can, otherwise calls `load` and
 * keeps what it returns. Failures and `undefined` are never kept, so an outage is not remembered.
 * Each lookup counts in `cache_requests_total{cache,result}` and is a span `Cache/<name> Get` with
 * `cinemetrics.cache.hit`, so a trace shows whether a downstream call was saved (on a miss the load,
 * e.g. the downstream call, is its child).
 */
export class ReadThroughCache<V> {
  private readonly lru: LruCache<V>;

  constructor(private readonly options: ReadThroughCacheOptions) {
    this.lru = new LruCache<V>(options);
    // Both series exist from the start, so rate() and ratios work before the first hit.
    for (const result of ['hit', 'miss']) cacheRequests.inc({ cache: options.name, result }, 0);
  }

  get size(): number {
    return this.lru.size;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    return withSpan(`Cache/${this.options.name} Get`, { 'cinemetrics.cache.name': this.options.name, 'cinemetrics.cache.key': key }, async (span) => {
      const cached = this.lru.get(key);
      const hit = cached !== undefined;
      cacheRequests.inc({ cache: this.options.name, result: hit ? 'hit' : 'miss' });
      span.setAttribute('cinemetrics.cache.hit', hit);
      if (hit) return cached;
      const value = await load();
      if (value !== undefined) this.lru.set(key, value);
      return value;
    });
  }

  invalidate(key: string): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }
}
