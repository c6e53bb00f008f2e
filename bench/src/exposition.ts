/** Reading a Prometheus text exposition (a /metrics answer). */

/** The sum over every series of `metric` (all its label sets). */
export function sumOfMetric(exposition: string, metric: string): number {
  return [...seriesOf(exposition, metric).values()].filter(Number.isFinite).reduce((sum, value) => sum + value, 0);
}

/** Every series of `metric` with its value, keyed by its label text (`{space="new"}`, or '' without labels). */
export function seriesOf(exposition: string, metric: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels = rest[0] === '{' ? rest.slice(0, rest.indexOf('}') + 1) : '';
    found.set(labels, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return found;
}
