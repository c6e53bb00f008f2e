import { exemplarText, headerText, labelText, valueText, type Exemplar, type LabelValues } from './exposition-text.js';

/** One series of a prom-client histogram: the labels it was first observed with, and its counts. */
interface HistogramSeries {
  labels: LabelValues;
  bucketValues: Record<number, number>;
  bucketExemplars?: Record<number, Exemplar | null>;
  sum: number;
  count: number;
}

/** What a prom-client histogram keeps, in its JavaScript rather than its typings (prom-client is pinned by the lockfile). */
interface HistogramState {
  name: string;
  help: string;
  type: string;
  upperBounds: readonly number[];
  hashMap: Record<string, HistogramSeries>;
  collect?: unknown;
}

/** A series' lines up to their values: one per bucket, then `+Inf`, `_sum` and `_count`. */
interface SeriesPrefixes {
  buckets: string[];
  sum: string;
  count: string;
}

/**
 * Each series' line prefixes, kept per histogram and per labels object: prom-client keeps the object a
 * series was first observed with for the series' life, and caches that object's label text the same way.
 */
const prefixesByHistogram = new WeakMap<HistogramState, WeakMap<LabelValues, SeriesPrefixes>>();

function prefixesOf(histogram: HistogramState, series: HistogramSeries): SeriesPrefixes {
  let bySeries = prefixesByHistogram.get(histogram);
  if (!bySeries) prefixesByHistogram.set(histogram, (bySeries = new WeakMap()));
  let prefixes = bySeries.get(series.labels);
  if (!prefixes) {
    const name = histogram.name;
    const shared = labelText(series.labels);
    const bucket = (le: string) => `${name}_bucket{le="${le}"${shared ? `,${shared}` : ''}} `;
    const whole = shared ? `{${shared}}` : '';
    prefixes = {
      buckets: [...histogram.upperBounds.map((bound) => bucket(String(bound))), bucket('+Inf')],
      sum: `${name}_sum${whole} `,
      count: `${name}_count${whole} `,
    };
    bySeries.set(series.labels, prefixes);
  }
  return prefixes;
}

/**
 * The histograms this module renders: prom-client's own, without a collect function (which would have
 * to run first). Anything else is rendered by prom-client.
 */
export function isPlainHistogram(metric: object): boolean {
  const state = metric as unknown as Partial<HistogramState>;
  return state.type === 'histogram' && Array.isArray(state.upperBounds) && typeof state.hashMap === 'object' && state.collect === undefined;
}

/**
 * One histogram family as prom-client's registry renders it (the same text, byte for byte), but from
 * each series' cached line prefixes: prom-client builds label objects and strings for every bucket of
 * every series on every scrape, and that garbage, not the text, is most of a scrape's allocation.
 * Exemplars are OpenMetrics only. A registry's default labels are not added: renderRegistry uses this only
 * for registries without them.
 */
export function histogramText(metric: object, withExemplars: boolean): string {
  const histogram = metric as unknown as HistogramState;
  let text = headerText(histogram.name, histogram.help, 'histogram');
  const bounds = histogram.upperBounds;
  for (const series of Object.values(histogram.hashMap)) {
    const prefixes = prefixesOf(histogram, series);
    let cumulative = 0;
    for (let index = 0; index < bounds.length; index += 1) {
      const bound = bounds[index] as number;
      cumulative += series.bucketValues[bound] as number;
      text += `\n${prefixes.buckets[index] as string}${valueText(cumulative)}`;
      if (withExemplars) text += exemplarText(series.bucketExemplars?.[bound]);
    }
    text += `\n${prefixes.buckets[bounds.length] as string}${valueText(series.count)}`;
    if (withExemplars) text += exemplarText(series.bucketExemplars?.[-1]);
    text += `\n${prefixes.sum}${valueText(series.sum)}\n${prefixes.count}${valueText(series.count)}`;
  }
  return text;
}
