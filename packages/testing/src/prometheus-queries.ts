import { prometheusApi } from './prometheus-http.js';

export interface InstantSample {
  metric: Record<string, string>;
  /** Unix seconds (fractional). */
  timestamp: number;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: { timestamp: number; value: number }[];
}

export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: number; timestamp: number }[];
}

interface ApiSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus' query API over HTTP: for a Prometheus the tests started, or any other (the native stack's). */
export abstract class PrometheusQueries {
  /** `http://host:port` */
  abstract readonly url: string;

  protected api<T>(pathAndQuery: string): Promise<T> {
    return prometheusApi<T>('prometheus', `${this.url}${pathAndQuery}`);
  }

  async query(expr: string, timeSec?: number): Promise<InstantSample[]> {
    const params = new URLSearchParams({ query: expr });
    if (timeSec !== undefined) params.set('time', String(timeSec));
    const data = await this.api<{ resultType: string; result: unknown }>(`/api/v1/query?${params.toString()}`);
    switch (data.resultType) {
      case 'vector':
        return (data.result as ApiSample[]).map((sample) => ({
          metric: sample.metric,
          timestamp: sample.value[0],
          value: Number(sample.value[1]),
        }));
      case 'scalar': {
        const [timestamp, value] = data.result as [number, string];
        return [{ metric: {}, timestamp, value: Number(value) }];
      }
      default:
        throw new Error(`prometheus: query ${expr} returned a ${data.resultType}; query() handles vectors and scalars (use queryRange for ranges)`);
    }
  }

  async queryRange(expr: string, startSec: number, endSec: number, stepSec = 1): Promise<RangeSeries[]> {
    const params = new URLSearchParams({ query: expr, start: String(startSec), end: String(endSec), step: String(stepSec) });
    const data = await this.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
      `/api/v1/query_range?${params.toString()}`,
    );
    return data.result.map((series) => ({
      metric: series.metric,
      values: series.values.map(([timestamp, value]) => ({ timestamp, value: Number(value) })),
    }));
  }

  async queryExemplars(expr: string, startSec: number, endSec: number): Promise<ExemplarSeries[]> {
    const params = new URLSearchParams({ query: expr, start: String(startSec), end: String(endSec) });
    const data = await this.api<
      { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[] | null
    >(`/api/v1/query_exemplars?${params.toString()}`);
    return (data ?? []).map((series) => ({
      seriesLabels: series.seriesLabels,
      exemplars: series.exemplars.map((exemplar) => ({
        labels: exemplar.labels,
        value: Number(exemplar.value),
        timestamp: exemplar.timestamp,
      })),
    }));
  }

  series(match: string[], startSec?: number, endSec?: number): Promise<Record<string, string>[]> {
    const params = new URLSearchParams(match.map((selector): [string, string] => ['match[]', selector]));
    if (startSec !== undefined) params.set('start', String(startSec));
    if (endSec !== undefined) params.set('end', String(endSec));
    return this.api<Record<string, string>[]>(`/api/v1/series?${params.toString()}`);
  }
}

/** The query API of a Prometheus at `url`. */
export class PrometheusClient extends PrometheusQueries {
  constructor(readonly url: string) {
    super();
  }
}
