import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { traceExporter } from './exporters.js';
import { DeferredSpanExporter } from './deferred-span-exporter.js';
import { receiveForwardedSelfObservability } from './self-observability-receiver.js';
import { closeLogExport, type LogExportSettings } from './log-export.js';
import { selfObservabilityMeterProvider } from './self-observability.js';
import { identifyService } from './service-identity.js';
import { instrumentations } from './instrumentations.js';
import { diagnosticsFromEnv, propagatorFromEnv, samplerFromEnv, spanLimitsFromEnv } from './sdk-environment.js';
import type { TelemetrySettings } from './settings.js';
import { SyntheticTrafficSpanProcessor } from './synthetic-traffic.js';

export interface Telemetry {
  enabled: boolean;
  /**
   * Whether the kit makes each inbound request's server span: with the `http` instrumentation enabled,
   * whose incoming side the kit replaces (instrumentations.ts).
   */
  serverSpans: boolean;
  /**
   * Whether the kit's client makes a span per attempt: with the `undici` instrumentation enabled, which
   * then traces only the requests the kit's client does not make (instrumentations.ts).
   */
  clientSpans: boolean;
  /**
   * Whether the kit's database layer makes a span per query: with the `mysql2` instrumentation name
   * enabled, which stands for the kit's spans instead of the upstream instrumentation (instrumentations.ts).
   */
  databaseSpans: boolean;
  /** Set when log lines are exported over OTLP: the logger then writes through the log-export worker. */
  logExport: LogExportSettings | undefined;
  /**
   * Exports what is queued; used before exit so the last requests' spans and log records are not lost.
   * The log-export worker's export is waited for at most `budgetMs` (the span flush is bounded by its
   * caller, which can stop waiting for a promise, not for a synchronous wait).
   */
  shutdown(budgetMs?: number): Promise<void>;
}

/** This package, named as the instrumentation scope of the log records it exports. */
const PACKAGE = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { name: string; version: string };

/**
 * Starts the OpenTelemetry SDK for this process. Spans are always created when the SDK is enabled, so
 * log lines carry trace ids, but a signal is exported only when its OTLP endpoint is configured; the
 * batch processors' queues are bounded and report drops through the self-observability metrics.
 */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  const identity = identifyService();
  if (!settings.enabled) {
    return { enabled: false, serverSpans: false, clientSpans: false, databaseSpans: false, logExport: undefined, shutdown: () => Promise.resolve() };
  }
  const selfObs = selfObservabilityMeterProvider();
  const spanProcessor = settings.traces
    ? new BatchSpanProcessor({ exporter: new DeferredSpanExporter(traceExporter(settings.traces.protocol, selfObs)), selfObsMeterProvider: selfObs, ...settings.traces.batch })
    : new NoopSpanProcessor();
  const resource = {
    'service.name': identity.name,
    'service.version': identity.version,
    'service.instance.id': randomUUID(),
    'deployment.environment.name': settings.deploymentEnvironment,
  };
  // Log records are built and exported off the event loop, by the logger's worker (log-export.ts).
  const logExport = settings.logs && { ...settings.logs, resource, scope: { name: PACKAGE.name, version: PACKAGE.version } };
  if (logExport) receiveForwardedSelfObservability();

  diagnosticsFromEnv();
  const { instrumentations: enabled, clientSpans, databaseSpans } = instrumentations(settings.enabledInstrumentations, settings.disabledInstrumentations);
  registerInstrumentations({ instrumentations: enabled });
  const serverSpans = enabled.some((instrumentation) => instrumentation.instrumentationName === '@opentelemetry/instrumentation-http');
  const contextManager = new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(contextManager.enable());
  const propagator = propagatorFromEnv();
  if (propagator) propagation.setGlobalPropagator(propagator);
  const tracerProvider = new TracerProvider({
    // Detected last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults above.
    resource: resourceFromAttributes(resource).merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] })),
    sampler: samplerFromEnv(),
    spanLimits: spanLimitsFromEnv(),
    spanProcessors: [new SyntheticTrafficSpanProcessor(), spanProcessor],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  return {
    enabled: true,
    serverSpans,
    clientSpans,
    databaseSpans,
    logExport,
    shutdown: async (budgetMs) => {
      await Promise.all([tracerProvider.shutdown(), closeLogExport(budgetMs)]);
    },
  };
}
