import { z } from 'zod';
import { loadConfig } from './env.js';

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
  /** OTEL_BSP_* for traces, OTEL_BLRP_* for logs; unset values keep the SDK defaults, except the span batch size (DEFAULT_SPAN_EXPORT_BATCH_SIZE). */
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

type Signal = { name: 'TRACES'; batch: 'BSP' } | { name: 'LOGS'; batch: 'BLRP' };

/**
 * The kit's default for OTEL_BSP_MAX_EXPORT_BATCH_SIZE (the SDK's is 512). A batch is serialized on
 * the event loop in one go, pausing every request that arrives meanwhile; smaller batches keep that
 * pause short (measured in docs/performance.md). Log records are serialized in the log-export worker,
 * so logs keep the SDK default.
 */
export const DEFAULT_SPAN_EXPORT_BATCH_SIZE = 128;

/** A signal is exported when its exporter is `otlp` and an endpoint (its own or the shared one) is set. */
function signalExport(parsed: TelemetryEnv, { name, batch }: Signal): SignalExport | undefined {
  const values = parsed as unknown as Record<string, string | number | undefined>;
  const endpoint = values[`OTEL_EXPORTER_OTLP_${name}_ENDPOINT`] ?? parsed.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (values[`OTEL_${name}_EXPORTER`] !== 'otlp' || endpoint === undefined) return undefined;
  const number = (key: string) => values[`OTEL_${batch}_${key}`] as number | undefined;
  return {
    protocol: (values[`OTEL_EXPORTER_OTLP_${name}_PROTOCOL`] as OtlpProtocol | undefined) ?? parsed.OTEL_EXPORTER_OTLP_PROTOCOL,
    batch: defined({
      scheduledDelayMillis: number('SCHEDULE_DELAY'),
      exportTimeoutMillis: number('EXPORT_TIMEOUT'),
      maxQueueSize: number('MAX_QUEUE_SIZE'),
      maxExportBatchSize: number('MAX_EXPORT_BATCH_SIZE') ?? (name === 'TRACES' ? DEFAULT_SPAN_EXPORT_BATCH_SIZE : undefined),
    }),
  };
}

export function loadTelemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const parsed = loadConfig(telemetryEnvSchema, env);
  return {
    enabled: parsed.OTEL_SDK_DISABLED === 'false',
    traces: signalExport(parsed, { name: 'TRACES', batch: 'BSP' }),
    logs: signalExport(parsed, { name: 'LOGS', batch: 'BLRP' }),
    env: parsed,
  };
}
