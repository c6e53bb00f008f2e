import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import type { Registry, RegistryContentType } from 'prom-client';
import { registeredGauge } from './registered-gauge.js';

const HEAP_SPACE_KINDS = ['total', 'used', 'available'] as const;

/** prom-client's default heap gauges, which the kit registers in its own way below. */
export const PROM_CLIENT_HEAP_NAMES = [
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  ...HEAP_SPACE_KINDS.map((kind) => `nodejs_heap_space_size_${kind}_bytes`),
] as const;

/**
 * prom-client's heap gauges, with its names and help texts, from one `v8.getHeapStatistics()` per
 * scrape. prom-client reads them from `process.memoryUsage()`, which also reads `/proc/self/stat` for a
 * resident set size these gauges do not report. Beside them, how far the heap may grow, which
 * prom-client does not report and the HeapNearLimit alert divides by: V8's heap_size_limit
 * (--max-old-space-size, or its default for the machine).
 */
export function registerHeapMetrics(registry: Registry<RegistryContentType>): void {
  // Registered in prom-client's order; the first one's collect sets them all.
  const total = registeredGauge(registry, 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', {
    collect: () => {
      const heap = getHeapStatistics();
      total.set(heap.total_heap_size);
      used.set(heap.used_heap_size);
      external.set(heap.external_memory);
      limit.set(heap.heap_size_limit);
    },
  });
  const used = registeredGauge(registry, 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.');
  const external = registeredGauge(registry, 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.');
  const limit = registeredGauge(registry, 'nodejs_heap_size_limit_bytes', 'The size the V8 heap may grow to (heap_size_limit) before the process dies out of memory');
}

/**
 * prom-client's heap-space gauges, with its names, help texts and `space` label, but each space's labels
 * object made once: prom-client makes three new ones per space on every scrape, and the render then
 * cannot reuse their label text (scalar-text.ts).
 */
export function registerHeapSpaceMetrics(registry: Registry<RegistryContentType>): void {
  const labelsBySpace = new Map<string, { space: string }>();
  const labelsOf = (spaceName: string): { space: string } => {
    let labels = labelsBySpace.get(spaceName);
    if (!labels) labelsBySpace.set(spaceName, (labels = { space: spaceName.slice(0, spaceName.indexOf('_space')) }));
    return labels;
  };
  const gauge = (kind: (typeof HEAP_SPACE_KINDS)[number], collect?: () => void) =>
    registeredGauge(registry, `nodejs_heap_space_size_${kind}_bytes`, `Process heap space size ${kind} from Node.js in bytes.`, { labelNames: ['space'], collect });
  // The first one's collect sets them all, as prom-client's does.
  const total = gauge('total', () => {
    for (const space of getHeapSpaceStatistics()) {
      const labels = labelsOf(space.space_name);
      total.set(labels, space.space_size);
      used.set(labels, space.space_used_size);
      available.set(labels, space.space_available_size);
    }
  });
  const used = gauge('used');
  const available = gauge('available');
}
