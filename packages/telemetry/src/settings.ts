import { z } from 'zod';
import { commaSeparated, loadConfig } from './env.js';

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

/** The OTEL_PROPAGATORS values the preload can install (sdk-environment.ts); `none` installs none. */
export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];
const isPropagatorName = (name: string): name is PropagatorName => (PROPAGATOR_NAMES as readonly string[]).includes(name);
/** Comma-separated, blanks around names ignored, as the SDK reads lists. */
const propagators = z.string().refine((value) => commaSeparated(value).every(isPropagatorName), `must be a comma-separated list of ${PROPAGATOR_NAMES.join(', ')}`);

export interface BatchSettings {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

/**
 * The default curated set; fs, dns and net stay off unless a user names them, and so does koa: its
 * router-layer span repeated the server span's route and the controller span's time, at a span's cost
 * on every request. The kit gives the server span its `http.route` itself (record-requests.ts).
 */
export const DEFAULT_INSTRUMENTATIONS = 'http,undici,mysql2,pino';

/**
 * The SDK, the OTLP exporters and the resource detectors read the OTEL_* variables themselves, as the
 * specification defines them: service name and resource attributes, sampler, endpoints, headers,
 * compression, timeouts, instrumentations. This schema only checks the values they would warn about
 * and then ignore, so a typo stops start-up (exit code 2, naming the variable) instead of silently
 * changing what is exported; what it derives is limited to what the SDK leaves to whoever builds the
 * processors (loadTelemetrySettings). docs/telemetry.md lists each item and why it is here.
 */
export const telemetryEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
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
  OTEL_PROPAGATORS: propagators.optional(),
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .regex(/^([^=,]+=[^,]*)(,[^=,]+=[^,]*)*$/, 'must be key=value pairs separated by commas')
    .optional(),
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: z.string().default(DEFAULT_INSTRUMENTATIONS),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: z.string().optional(),
  OTEL_BSP_SCHEDULE_DELAY: count.optional(),
  OTEL_BSP_EXPORT_TIMEOUT: count.optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: count.optional(),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count.optional(),
  OTEL_BLRP_SCHEDULE_DELAY: count.optional(),
  OTEL_BLRP_EXPORT_TIMEOUT: count.optional(),
  OTEL_BLRP_MAX_QUEUE_SIZE: count.optional(),
  OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: count.optional(),
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
  /** OTEL_NODE_ENABLED_INSTRUMENTATIONS, or the kit's default set. */
  enabledInstrumentations: string;
  /** OTEL_NODE_DISABLED_INSTRUMENTATIONS: taken out of the enabled ones. */
  disabledInstrumentations: string | undefined;
  /** DEPLOYMENT_ENVIRONMENT, the resource's `deployment.environment.name`. */
  deploymentEnvironment: string;
}

type Signal = { name: 'TRACES'; batch: 'BSP' } | { name: 'LOGS'; batch: 'BLRP' };

/**
 * The kit's default for OTEL_BSP_MAX_EXPORT_BATCH_SIZE (the SDK's is 512). A batch is serialized on
 * the event loop in one go, pausing every request that arrives meanwhile; smaller batches keep that
 * pause short (measured in docs/performance.md). Log records are serialized in the log-export worker,
 * so logs keep the SDK default.
 */
export const DEFAULT_SPAN_EXPORT_BATCH_SIZE = 128;

/**
 * A signal is exported when its exporter is `otlp` and an endpoint (its own or the shared one) is set:
 * the specification's default endpoint (localhost:4318) would have every process without a collector
 * retry and warn forever. The SDK reads the protocol and the batch variables only for the processors
 * it builds itself; the kit builds its own (deferred span export, self-observability, the log worker),
 * so it reads them here the same way.
 */
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
    enabledInstrumentations: parsed.OTEL_NODE_ENABLED_INSTRUMENTATIONS,
    disabledInstrumentations: parsed.OTEL_NODE_DISABLED_INSTRUMENTATIONS,
    deploymentEnvironment: parsed.DEPLOYMENT_ENVIRONMENT,
  };
}
