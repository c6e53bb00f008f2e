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

/** Least-squares slope of `ys` over `xs` (units of y per unit of x); NaN with fewer than two distinct xs. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  const meanX = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const meanY = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i += 1) {
    covariance += ((xs[i] as number) - meanX) * ((ys[i] as number) - meanY);
    variance += ((xs[i] as number) - meanX) ** 2;
  }
  return variance === 0 ? Number.NaN : covariance / variance;
}

/**
 * The highest y in each window of `width` along x, counted from `from`; empty windows are left out.
 * A series that grows keeps raising its peaks; one that swings between collections and has stopped
 * growing repeats them.
 */
export function windowPeaks(xs: readonly number[], ys: readonly number[], from: number, width: number): { start: number; peak: number }[] {
  const peaks = new Map<number, number>();
  for (let i = 0; i < Math.min(xs.length, ys.length); i += 1) {
    const x = xs[i] as number;
    if (x < from) continue;
    const start = from + Math.floor((x - from) / width) * width;
    peaks.set(start, Math.max(peaks.get(start) ?? Number.NEGATIVE_INFINITY, ys[i] as number));
  }
  return [...peaks].sort(([a], [b]) => a - b).map(([start, peak]) => ({ start, peak }));
}
