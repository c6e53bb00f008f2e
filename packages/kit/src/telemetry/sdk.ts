import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { selfObservabilityMeterProvider } from './self-observability.js';
import { identifyService } from './service-identity.js';
import type { OtlpProtocol, TelemetrySettings } from './settings.js';

export interface Telemetry {
  enabled: boolean;
  tracesExported: boolean;
  logsExported: boolean;
  serviceName: string;
  /** Exports what is queued; used before exit so the last requests' spans are not lost. */
  shutdown(): Promise<void>;
}

function traceExporter(protocol: OtlpProtocol): SpanExporter {
  if (protocol === 'grpc') return new GrpcTraceExporter();
  if (protocol === 'http/json') return new JsonTraceExporter();
  return new ProtoTraceExporter();
}

function logExporter(protocol: OtlpProtocol): LogRecordExporter {
  if (protocol === 'grpc') return new GrpcLogExporter();
  if (protocol === 'http/json') return new JsonLogExporter();
  return new ProtoLogExporter();
}

const UNTRACED_PATHS = ['/.well-known/', '/metrics'];

/** Probes and scrapes arrive every few seconds and explain nothing: they get no traces. */
function isProbe(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return UNTRACED_PATHS.some((prefix) => url.startsWith(prefix));
}

/**
 * Starts the OpenTelemetry SDK for this process. Spans are always created when the SDK is enabled, so
 * log lines carry trace ids, but a signal is exported only when its OTLP endpoint is configured; the
 * batch processors' queues are bounded and report drops through the self-observability metrics.
 */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  const identity = identifyService();
  const serviceName = settings.env.OTEL_SERVICE_NAME ?? identity.name;
  if (!settings.enabled) {
    return { enabled: false, tracesExported: false, logsExported: false, serviceName, shutdown: async () => undefined };
  }
  // getNodeAutoInstrumentations reads the standard variables itself; the kit only supplies the default.
  process.env['OTEL_NODE_ENABLED_INSTRUMENTATIONS'] = settings.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS;

  const selfObs = selfObservabilityMeterProvider();
  const spanProcessor = settings.traces
    ? new BatchSpanProcessor({ exporter: traceExporter(settings.traces.protocol), selfObsMeterProvider: selfObs, ...settings.traces.batch })
    : new NoopSpanProcessor();
  const logProcessors = settings.logs
    ? [new BatchLogRecordProcessor({ exporter: logExporter(settings.logs.protocol), selfObsMeterProvider: selfObs, ...settings.logs.batch })]
    : [];

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': identity.name,
      'service.version': identity.version,
      'service.instance.id': randomUUID(),
      'deployment.environment.name': settings.env.DEPLOYMENT_ENVIRONMENT,
    }),
    // env last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults above.
    resourceDetectors: [processDetector, hostDetector, envDetector],
    spanProcessors: [spanProcessor],
    logRecordProcessors: logProcessors,
    metricReaders: [],
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-http': { ignoreIncomingRequestHook: isProbe },
        // Router layers carry http.route; a span per middleware costs CPU and explains nothing.
        '@opentelemetry/instrumentation-koa': { ignoreLayersType: ['middleware' as never] },
        '@opentelemetry/instrumentation-pino': {
          disableLogSending: !settings.logs,
          logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
        },
      }),
    ],
  });
  sdk.start();
  return {
    enabled: true,
    tracesExported: settings.traces !== undefined,
    logsExported: settings.logs !== undefined,
    serviceName,
    shutdown: () => sdk.shutdown(),
  };
}
