import { escapeText, exemplarText, headerText, labelText, valueText, type Exemplar, type LabelValues } from './exposition-text.js';

/** One series of a prom-client counter or gauge: the labels it was last set with, and its value. */
interface ScalarSeries {
  labels: LabelValues;
  value: number;
  exemplar?: Exemplar | null;
}

/** What a prom-client counter or gauge keeps, in its JavaScript rather than its typings (prom-client is pinned by the lockfile). */
interface ScalarState {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  hashMap: Record<string, ScalarSeries>;
  collect?: () => unknown;
}

/** A series' line up to its value, and the line name it was made for. */
interface LinePrefix {
  name: string;
  text: string;
}

/**
 * Each series' line prefix, kept per metric and per labels object. A counter keeps the object a series
 * was first counted with; a gauge keeps the one it was last set with, so a gauge set with a new object
 * on every scrape (prom-client's heap-space gauges) has its label text made anew, as prom-client does.
 */
const prefixesByMetric = new WeakMap<ScalarState, WeakMap<LabelValues, LinePrefix>>();

function prefixOf(metric: ScalarState, lineName: string, labels: LabelValues): string {
  let byLabels = prefixesByMetric.get(metric);
  if (!byLabels) prefixesByMetric.set(metric, (byLabels = new WeakMap()));
  let prefix = byLabels.get(labels);
  if (prefix?.name !== lineName) {
    const text = labelText(labels);
    prefix = { name: lineName, text: `${lineName}${text ? `{${text}}` : ''} ` };
    byLabels.set(labels, prefix);
  }
  return prefix.text;
}

/** The counters and gauges this module renders: prom-client's own. Anything else is rendered by prom-client. */
export function isScalar(metric: object): boolean {
  const state = metric as unknown as Partial<ScalarState>;
  return (state.type === 'counter' || state.type === 'gauge') && typeof state.hashMap === 'object';
}

function linesOf(metric: ScalarState, openMetrics: boolean): string {
  // prom-client names a counter's samples `_total` in OpenMetrics, where the family's name has no suffix.
  const lineName = escapeText(metric.type === 'counter' && openMetrics ? `${metric.name}_total` : metric.name);
  let text = headerText(metric.name, metric.help, metric.type);
  for (const series of Object.values(metric.hashMap)) {
    text += `\n${prefixOf(metric, lineName, series.labels)}${valueText(series.value)}`;
    if (openMetrics) text += exemplarText(series.exemplar);
  }
  return text;
}

/**
 * One counter or gauge family as prom-client's registry renders it (the same text, byte for byte), after
 * running its collect function as prom-client's `get()` does, but from each series' cached line prefix
 * and without prom-client's per-value label objects and arrays. Synchronous unless the collect function
 * returns a promise. A registry's default labels are not added: renderRegistry uses this only for
 * registries without them.
 */
export function scalarText(metric: object, openMetrics: boolean): string | Promise<string> {
  const state = metric as unknown as ScalarState;
  const collected = state.collect?.();
  return collected instanceof Promise ? collected.then(() => linesOf(state, openMetrics)) : linesOf(state, openMetrics);
}
