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

/**
 * Each series' line up to its value, kept per metric and per labels object. A counter keeps the object a
 * series was first counted with; a gauge keeps the one it was last set with, so a gauge a collect
 * function sets with a new labels object on every scrape has its label text made anew, as prom-client
 * does. A metric's line name is the same in both formats (renderRegistry names counters `…_total` in the
 * Prometheus text, and OpenMetrics adds `_total` to their bare name), so it is not part of the key.
 */
const prefixesByMetric = new WeakMap<ScalarState, WeakMap<LabelValues, string>>();

function prefixesOf(metric: ScalarState): WeakMap<LabelValues, string> {
  let byLabels = prefixesByMetric.get(metric);
  if (!byLabels) prefixesByMetric.set(metric, (byLabels = new WeakMap()));
  return byLabels;
}

function prefixOf(byLabels: WeakMap<LabelValues, string>, lineName: string, labels: LabelValues): string {
  let prefix = byLabels.get(labels);
  if (prefix === undefined) {
    const text = labelText(labels);
    prefix = `${lineName}${text ? `{${text}}` : ''} `;
    byLabels.set(labels, prefix);
  }
  return prefix;
}

/** The counters and gauges this module renders: prom-client's own. Anything else is rendered by prom-client. */
export function isScalar(metric: object): boolean {
  const state = metric as unknown as Partial<ScalarState>;
  return (state.type === 'counter' || state.type === 'gauge') && typeof state.hashMap === 'object';
}

/**
 * Runs a counter's or gauge's collect function, as prom-client's `get()` does before it reads the
 * values; a promise when the function returns one.
 */
export function collectScalar(metric: object): Promise<unknown> | undefined {
  const collected = (metric as unknown as ScalarState).collect?.();
  return collected instanceof Promise ? collected : undefined;
}

/**
 * One counter or gauge family as prom-client's registry renders it (the same text, byte for byte), from
 * its values as they are (collectScalar first), each series' line prefix cached, and without
 * prom-client's per-value label objects and arrays. A registry's default labels are not added:
 * renderRegistry uses this only for registries without them.
 */
export function scalarText(metric: object, openMetrics: boolean): string {
  const state = metric as unknown as ScalarState;
  // prom-client names a counter's samples `_total` in OpenMetrics, where the family's name has no suffix.
  const lineName = escapeText(state.type === 'counter' && openMetrics ? `${state.name}_total` : state.name);
  const byLabels = prefixesOf(state);
  let text = headerText(state.name, state.help, state.type);
  for (const series of Object.values(state.hashMap)) {
    text += `\n${prefixOf(byLabels, lineName, series.labels)}${valueText(series.value)}`;
    if (openMetrics) text += exemplarText(series.exemplar);
  }
  return text;
}
