import { z } from 'zod';
import { loadConfig } from '../config.js';

const protocol = z.enum(['grpc', 'http/protobuf', 'http/json']);
const samplers = z.enum([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

const count = z.coerce.number().int().min(1);

export interface BatchSettings {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

/** The default curated set; fs, dns and net stay off unless a user names them. */
export const DEFAULT_INSTRUMENTATIONS = 'http,undici,koa,mysql2,pino';

/**
 * The OpenTelemetry variables the kit honours, validated as the spec defines them so a typo stops
 * start-up instead of silently turning telemetry off.
 */
export const telemetryEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: protocol.optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).default('otlp'),
  OTEL_LOGS_EXPORTER: z.enum(['otlp', 'none']).default('otlp'),
  OTEL_TRACES_SAMPLER: samplers.default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .regex(/^([^=,]+=[^,]*)(,[^=,]+=[^,]*)*$/, 'must be key=value pairs separated by commas')
    .optional(),
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: z.string().default(DEFAULT_INSTRUMENTATIONS),
  OTEL_BSP_SCHEDULE_DELAY: count.optional(),
  OTEL_BSP_EXPORT_TIMEOUT: count.optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: count.optional(),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count.optional(),
  OTEL_BLRP_SCHEDULE_DELAY: count.optional(),
  OTEL_BLRP_EXPORT_TIMEOUT: count.optional(),
  OTEL_BLRP_MAX_QUEUE_SIZE: count.optional(),
  OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: count.optional(),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: z.string().optional(),
  DEPLOYMENT_ENVIRONMENT: z.string().default('development'),
});
export type TelemetryEnv = z.infer<typeof telemetryEnvSchema>;

export type OtlpProtocol = z.infer<typeof protocol>;

export interface SignalExport {
  protocol: OtlpProtocol;
  /** OTEL_BSP_* for traces, OTEL_BLRP_* for logs; unset values keep the SDK defaults. */
  batch: BatchSettings;
}

function defined(batch: Record<keyof BatchSettings, number | undefined>): BatchSettings {
  return Object.fromEntries(Object.entries(batch).filter(([, value]) => value !== undefined));
}

export interface TelemetrySettings {
  enabled: boolean;
  /** Undefined when the signal has no endpoint (or its exporter is `none`): nothing is exported. */
  traces: SignalExport | undefined;
  logs: SignalExport | undefined;
  env: TelemetryEnv;
}

export function loadTelemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const parsed = loadConfig(telemetryEnvSchema, env);
  const traces =
    parsed.OTEL_TRACES_EXPORTER === 'otlp' && (parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? parsed.OTEL_EXPORTER_OTLP_ENDPOINT)
      ? {
          protocol: parsed.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? parsed.OTEL_EXPORTER_OTLP_PROTOCOL,
          batch: defined({
            scheduledDelayMillis: parsed.OTEL_BSP_SCHEDULE_DELAY,
            exportTimeoutMillis: parsed.OTEL_BSP_EXPORT_TIMEOUT,
            maxQueueSize: parsed.OTEL_BSP_MAX_QUEUE_SIZE,
            maxExportBatchSize: parsed.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
          }),
        }
      : undefined;
  const logs =
    parsed.OTEL_LOGS_EXPORTER === 'otlp' && (parsed.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ?? parsed.OTEL_EXPORTER_OTLP_ENDPOINT)
      ? {
          protocol: parsed.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL ?? parsed.OTEL_EXPORTER_OTLP_PROTOCOL,
          batch: defined({
            scheduledDelayMillis: parsed.OTEL_BLRP_SCHEDULE_DELAY,
            exportTimeoutMillis: parsed.OTEL_BLRP_EXPORT_TIMEOUT,
            maxQueueSize: parsed.OTEL_BLRP_MAX_QUEUE_SIZE,
            maxExportBatchSize: parsed.OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
          }),
        }
      : undefined;
  return { enabled: parsed.OTEL_SDK_DISABLED === 'false', traces, logs, env: parsed };
}
