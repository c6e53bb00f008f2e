/** The ways a pino line can reach an OTLP collector that bench/log-transport compares. */
export const LOG_TRANSPORT_VARIANTS = [
  /** The baseline: pino to stdout (here /dev/null) with log correlation only, nothing exported. */
  'stdout-only',
  /** The telemetry package's own transport: a pino worker that writes stdout and exports (otlp-log-transport.ts). */
  'kit-transport',
  /** pino-opentelemetry-transport next to pino/file in one pino worker. */
  'pino-opentelemetry-transport',
  /** @opentelemetry/instrumentation-pino's log sending: records built and batched on the main thread. */
  'instrumentation-pino',
] as const;

export type LogTransportVariant = (typeof LOG_TRANSPORT_VARIANTS)[number];

export function variantFromEnv(): LogTransportVariant {
  const variant = process.env['BENCH_LOG_VARIANT'];
  if (!LOG_TRANSPORT_VARIANTS.includes(variant as LogTransportVariant)) throw new Error(`BENCH_LOG_VARIANT must be one of ${LOG_TRANSPORT_VARIANTS.join(', ')}`);
  return variant as LogTransportVariant;
}

/** What a child reports to the bench once its lines are logged and flushed. */
export interface LogTransportResult {
  lines: number;
  mainThreadCpuSeconds: number;
  processCpuSeconds: number;
}
