/** Clients for the stack backends' own HTTP APIs, as the stack tests read them. */
import { getJson } from '@cinemetrics/testing';

export interface FlatSpan {
  service: string;
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: string;
  attributes: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: unknown };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number | string;
        status?: { code?: number | string };
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function attributeValue(value: OtlpValue): unknown {
  return value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue ?? value.arrayValue;
}

function attributes(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, attributeValue(value)]));
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUSES = ['UNSET', 'OK', 'ERROR'];

/** OTLP/JSON ids come as hex or base64 depending on the encoder; tests compare hex. */
function hexId(id: string): string {
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

function flatten(traces: OtlpTraces): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const resourceSpans of traces.resourceSpans ?? []) {
    const serviceName = attributes(resourceSpans.resource?.attributes)['service.name'];
    const service = typeof serviceName === 'string' ? serviceName : '';
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const kind = typeof span.kind === 'number' ? (KINDS[span.kind] ?? String(span.kind)) : String(span.kind ?? 'UNSPECIFIED').replace(/^SPAN_KIND_/, '');
        const code = span.status?.code;
        const status = typeof code === 'number' ? (STATUSES[code] ?? String(code)) : String(code ?? 'UNSET').replace(/^STATUS_CODE_/, '');
        spans.push({
          service,
          name: span.name,
          kind,
          traceId: hexId(span.traceId),
          spanId: hexId(span.spanId),
          parentSpanId: span.parentSpanId ? hexId(span.parentSpanId) : '',
          status,
          attributes: attributes(span.attributes),
        });
      }
    }
  }
  return spans;
}

export class JaegerApi {
  constructor(readonly url: string) {}

  /** The trace's spans, or undefined while Jaeger has none (its API answers 404). */
  async trace(traceId: string): Promise<FlatSpan[] | undefined> {
    const response = await fetch(`${this.url}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`jaeger: GET /api/v3/traces/${traceId} answered ${response.status}: ${text.slice(0, 300)}`);
    return flatten((JSON.parse(text) as { result: OtlpTraces }).result);
  }

  /** The raw JSON Jaeger answers for a trace, for searching it as text. */
  async traceText(traceId: string): Promise<string> {
    const response = await fetch(`${this.url}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
    return response.text();
  }

  /** Trace ids of traces with a span of `service` (and `operation`) since `since`. */
  async search(service: string, since: Date, operation?: string): Promise<string[]> {
    const params = new URLSearchParams({
      'query.service_name': service,
      'query.start_time_min': since.toISOString(),
      'query.start_time_max': new Date(Date.now() + 60_000).toISOString(),
      'query.num_traces': '100',
    });
    if (operation) params.set('query.operation_name', operation);
    const response = await fetch(`${this.url}/api/v3/traces?${params.toString()}`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`jaeger: trace search answered ${response.status}: ${text.slice(0, 300)}`);
    return [...new Set(flatten((JSON.parse(text) as { result: OtlpTraces }).result).map((span) => span.traceId))];
  }

  async services(): Promise<string[]> {
    return (await getJson<{ services?: string[] }>('jaeger', `${this.url}/api/v3/services`)).services ?? [];
  }

  /** Jaeger's service performance monitoring (the Monitor tab): GET /api/metrics/{calls|latencies|errors}. */
  async spm(kind: 'calls' | 'latencies' | 'errors', service: string): Promise<{ labels: { name: string; value: string }[]; metricPoints: unknown[] }[]> {
    const params = new URLSearchParams({ service, endTs: String(Date.now()), lookback: String(15 * 60_000), step: '5000', ratePer: '60000' });
    if (kind === 'latencies') params.set('quantile', '0.95');
    const body = await getJson<{ metrics?: { labels: { name: string; value: string }[]; metricPoints: unknown[] }[] }>('jaeger', `${this.url}/api/metrics/${kind}?${params.toString()}`);
    return body.metrics ?? [];
  }
}

export class VictoriaLogsApi {
  constructor(readonly url: string) {}

  /** Log records matching a LogsQL query, newest last. */
  async query(logsql: string): Promise<Record<string, string>[]> {
    const response = await fetch(`${this.url}/select/logsql/query?${new URLSearchParams({ query: logsql }).toString()}`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`victorialogs: query ${logsql} answered ${response.status}: ${text.slice(0, 300)}`);
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, string>);
  }
}
