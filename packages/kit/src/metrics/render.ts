import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Registry, type RegistryContentType } from 'prom-client';
import { histogramText, isPlainHistogram } from './histogram-text.js';
import { collectScalar, isScalar, scalarText } from './scalar-text.js';
import { registry } from './registry.js';

export type MetricsFormat = 'openmetrics' | 'prometheus';

export function negotiateFormat(accept: string | undefined): MetricsFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
}

export function contentTypeOf(format: MetricsFormat): RegistryContentType {
  return format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
}

/**
 * How long one scrape may hold the event loop before it lets waiting requests run. prom-client renders
 * the whole registry in one go; a busy service's histograms take long enough that requests arriving
 * meanwhile wait for it.
 */
const SLICE_MS = 0.5;

/**
 * How long a render goes on yielding at all. On a saturated service every turn it gives away runs a
 * batch of requests, and a render that kept yielding would take tens of times its own work; past this
 * it finishes in one go, so a scrape still answers well within any scrape timeout.
 */
const YIELDING_MS = 10;

/**
 * A counter's name as each format writes it: prom-client adds `_total` itself in OpenMetrics, and
 * expects it in the name for the Prometheus text format.
 */
function counterNameFor(format: MetricsFormat, name: string): string {
  const bare = name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
  return format === 'openmetrics' ? bare : `${bare}_total`;
}

/** prom-client's per-family renderer: in its JavaScript, not in its typings. */
type FamilyRenderer = Registry<RegistryContentType> & { getMetricsAsString(metric: unknown): Promise<string> };

interface CollectFailure {
  error: unknown;
}

/**
 * A collection that is awaited only when its family's turn comes: handled from the start, so a rejection
 * meanwhile is not an unhandled one, and rethrown then.
 */
function settled(collection: Promise<unknown> | undefined): Promise<CollectFailure | undefined> | undefined {
  return collection?.then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
}

/** A family's text from cached label text (histogram-text.ts, scalar-text.ts), or prom-client's where neither renders it. */
function familyText(target: Registry<RegistryContentType>, metric: object, format: MetricsFormat, cachedLabelText: boolean): string | Promise<string> {
  const openMetrics = format === 'openmetrics';
  if (cachedLabelText && isPlainHistogram(metric)) return histogramText(metric, openMetrics);
  if (cachedLabelText && isScalar(metric)) return scalarText(metric, openMetrics);
  return (target as FamilyRenderer).getMetricsAsString(metric);
}

/**
 * Renders `target` in either format, as its `metrics()` would, one metric family at a time, giving the
 * event loop a turn whenever the render has held it for SLICE_MS, during the render's first YIELDING_MS.
 * prom-client renders by the registry's content type and reads counters' names from the metric objects,
 * so both are set for the render's duration and put back after; two renders of one registry must not
 * interleave. With `cachedLabelText` (the kit's registry, which has no default labels: prom-client adds a
 * registry's default labels while it renders, and histogram-text.ts and scalar-text.ts do not),
 * histograms, counters and gauges are rendered from cached line prefixes into the same text, after all
 * the counters' and gauges' collect functions have been started.
 */
export async function renderRegistry(
  target: Registry<RegistryContentType>,
  format: MetricsFormat,
  {
    sliceMs = SLICE_MS,
    yieldingMs = YIELDING_MS,
    cachedLabelText = target === registry,
  }: { sliceMs?: number; yieldingMs?: number; cachedLabelText?: boolean } = {},
): Promise<string> {
  const renamed: Array<{ metric: { name: string }; name: string }> = [];
  const families: string[] = [];
  const contentType = target.contentType;
  const renderStarted = performance.now();
  let sliceStarted = renderStarted;
  const turnDue = (): boolean => {
    const now = performance.now();
    return now - sliceStarted >= sliceMs && now - renderStarted < yieldingMs;
  };
  const takeTurn = async (): Promise<void> => {
    await nextTurn();
    sliceStarted = performance.now();
  };
  target.setContentType(contentTypeOf(format));
  try {
    const metrics = target.getMetricsAsArray();
    // Every counter's and gauge's collect function first: what one reads asynchronously (the `/proc`
    // gauges, on libuv's thread pool) is read while the event loop renders the other families.
    const collecting: Array<Promise<CollectFailure | undefined> | undefined> = [];
    if (cachedLabelText) {
      for (const metric of metrics) {
        collecting.push(settled(isScalar(metric) ? collectScalar(metric) : undefined));
        if (turnDue()) await takeTurn();
      }
    }
    for (const [index, metric] of metrics.entries()) {
      const named = metric as unknown as { name: string; type?: string };
      if (named.type === 'counter') {
        renamed.push({ metric: named, name: named.name });
        named.name = counterNameFor(format, named.name);
      }
      const pending = collecting[index];
      if (pending) {
        const failure = await pending;
        if (failure) throw failure.error;
      }
      const text = familyText(target, metric, format, cachedLabelText);
      families.push(typeof text === 'string' ? text : await text);
      if (turnDue()) await takeTurn();
    }
  } finally {
    target.setContentType(contentType);
    for (const { metric, name } of renamed) metric.name = name;
  }
  return format === 'openmetrics' ? `${families.join('\n')}\n# EOF\n` : `${families.join('\n\n')}\n`;
}

let queue: Promise<unknown> = Promise.resolve();

/** The kit's registry in either format; scrapes are served one after the other. */
export function renderMetrics(format: MetricsFormat): Promise<string> {
  const render = (): Promise<string> => renderRegistry(registry, format);
  const result = queue.then(render, render);
  queue = result.catch(() => undefined);
  return result;
}
