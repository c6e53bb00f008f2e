import type { MeterProvider } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './settings.js';

type TraceExporterModule = typeof import('@opentelemetry/exporter-trace-otlp-proto');
type LogExporterModule = typeof import('@opentelemetry/exporter-logs-otlp-proto');

/**
 * Only the chosen protocol's exporter is loaded: the gRPC ones bring @grpc/grpc-js, which the log
 * worker (its own V8 heap) should not carry when it speaks http/protobuf.
 */
const TRACE_EXPORTERS: Record<OtlpProtocol, () => TraceExporterModule> = {
  'http/protobuf': () => require('@opentelemetry/exporter-trace-otlp-proto') as TraceExporterModule,
  'http/json': () => require('@opentelemetry/exporter-trace-otlp-http') as TraceExporterModule,
  grpc: () => require('@opentelemetry/exporter-trace-otlp-grpc') as TraceExporterModule,
};

const LOG_EXPORTERS: Record<OtlpProtocol, () => LogExporterModule> = {
  'http/protobuf': () => require('@opentelemetry/exporter-logs-otlp-proto') as LogExporterModule,
  'http/json': () => require('@opentelemetry/exporter-logs-otlp-http') as LogExporterModule,
  grpc: () => require('@opentelemetry/exporter-logs-otlp-grpc') as LogExporterModule,
};

/**
 * Each exporter reads its endpoint, headers, timeout and compression from the standard
 * OTEL_EXPORTER_OTLP_* variables and reports its outcomes (`otel.sdk.exporter.*`) to `selfObservability`.
 */
export function traceExporter(protocol: OtlpProtocol, selfObservability: MeterProvider): SpanExporter {
  return new (TRACE_EXPORTERS[protocol]().OTLPTraceExporter)({ selfObsMeterProvider: selfObservability });
}

export function logExporter(protocol: OtlpProtocol, selfObservability: MeterProvider): LogRecordExporter {
  return new (LOG_EXPORTERS[protocol]().OTLPLogExporter)({ selfObsMeterProvider: selfObservability });
}
