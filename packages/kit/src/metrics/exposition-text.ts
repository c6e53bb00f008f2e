/** Label values as prom-client keeps them for a series. */
export type LabelValues = Record<string, string | number>;

/** prom-client's escaping of names, help texts and (with quotes) label values. */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function labelText(labels: LabelValues): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${typeof value === 'string' ? escapeText(value).replace(/"/g, '\\"') : value}"`)
    .join(',');
}

/** prom-client's exemplar of a histogram bucket or a counter series: set once observed with exemplar labels. */
export interface Exemplar {
  labelSet: LabelValues;
  value: number;
  timestamp: number;
}

export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

/** A family's `# HELP` and `# TYPE` lines, as prom-client writes them. */
export function headerText(name: string, help: string, type: string): string {
  const escaped = escapeText(name);
  return `# HELP ${escaped} ${escapeText(help)}\n# TYPE ${escaped} ${type}`;
}

export function exemplarText(exemplar: Exemplar | null | undefined): string {
  return exemplar ? ` # {${labelText(exemplar.labelSet)}} ${valueText(exemplar.value)} ${exemplar.timestamp}` : '';
}
