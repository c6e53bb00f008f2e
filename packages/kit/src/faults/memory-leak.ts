/** The most the leak fault retains in total, whatever the rules say: large, but bounded. */
export const MAX_LEAKED_BYTES = 1024 * 1024 * 1024;

interface Retained {
  bytes: number;
  chunks: number[][];
}

/**
 * The memory-leak fault's store. Each matching request adds a chunk of V8 heap (an array of
 * doubles, so heap profiles and snapshots show it, allocated by `leakMemory`) under its rule's key;
 * the chunks stay reachable until the rule is removed. Past MAX_LEAKED_BYTES the oldest chunks of
 * the growing rule are dropped, so memory stays at the cap rather than killing the process.
 */
export class LeakStore {
  private readonly retained = new Map<string, Retained>();
  private total = 0;

  constructor(private readonly maxBytes: number = MAX_LEAKED_BYTES) {}

  get bytes(): number {
    return this.total;
  }

  leakMemory(key: string, bytes: number): void {
    let entry = this.retained.get(key);
    if (!entry) {
      entry = { bytes: 0, chunks: [] };
      this.retained.set(key, entry);
    }
    const chunk: number[] = [];
    const value = Math.random();
    // Grown element by element so V8 keeps fast double elements (a large `new Array(n)` is a dictionary).
    for (let i = Math.ceil(bytes / 8); i > 0; i -= 1) chunk.push(value);
    entry.chunks.push(chunk);
    entry.bytes += chunk.length * 8;
    this.total += chunk.length * 8;
    while (this.total > this.maxBytes && entry.chunks.length > 1) {
      const dropped = entry.chunks.shift()!;
      entry.bytes -= dropped.length * 8;
      this.total -= dropped.length * 8;
    }
  }

  /** Frees what every key not in `keep` retained. */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, entry] of this.retained) {
      if (keep.has(key)) continue;
      this.total -= entry.bytes;
      this.retained.delete(key);
    }
  }
}
