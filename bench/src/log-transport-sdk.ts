/**
 * Preloaded into each bench/log-transport child (`--require`), before pino is loaded: the OpenTelemetry
 * SDK with spans recorded but not exported, and the pino instrumentation adding the trace fields to
 * every line (as the telemetry package configures it). Only the instrumentation-pino variant has it
 * send records, through a batch processor and the OTLP/HTTP protobuf exporter, on the main thread.
 */
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { isMainThread } from 'node:worker_threads';
import { variantFromEnv } from './log-transport-variants.js';

function startSdk(): NodeSDK {
  const sendsLogs = variantFromEnv() === 'instrumentation-pino';
  const sdk = new NodeSDK({
  spanProcessors: [new NoopSpanProcessor()],
  logRecordProcessors: sendsLogs ? [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })] : [],
  metricReaders: [],
  instrumentations: [
    new PinoInstrumentation({
      disableLogSending: !sendsLogs,
      logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
    }),
  ],
  });
  sdk.start();
  return sdk;
}

// Worker threads inherit --require: the pino transports' workers must not start a second SDK.
export const benchSdk = isMainThread ? startSdk() : undefined;
