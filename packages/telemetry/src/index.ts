/**
 * What the kit and the services use at run time. The SDK itself is started by the preload
 * (`@cinemetrics/telemetry/register`), not from here, so importing this loads no instrumentation.
 */
export * from './env.js';
export * from './metrics-registry.js';
export * from './spans.js';
export * from './query-redaction.js';
export * from './untraced-paths.js';
export { carriesTraceContext, traceContextFields, withTraceContext } from './propagated-calls.js';
export * from './synthetic-traffic.js';
export { getTelemetry } from './state.js';
export type { Telemetry } from './sdk.js';
export { closeLogExport, exportingLogDestination, LOG_WORKER_LAST_EXPORT_MS, type LogExportSettings } from './log-export.js';
export { gatherLines, LOG_GATHER_INTERVAL_MS, stdoutForGatheredLines } from './line-gathering.js';
