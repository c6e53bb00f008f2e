/** The summary statistics the benchmarks report over rounds: a median, and the quartiles around it. */

/** The value at `fraction` (0–1) of the sorted values, interpolating between neighbours. */
export function quantile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** First quartile, median and third quartile: half of the rounds fall between the outer two. */
export function quartiles(values: readonly number[]): [number, number, number] {
  return [quantile(values, 0.25), quantile(values, 0.5), quantile(values, 0.75)];
}
