import { isValidSpanId, isValidTraceId, ROOT_CONTEXT, SeverityNumber, trace, type Context, type LogRecord } from '@opentelemetry/api';

const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

function traceContext(traceId: unknown, spanId: unknown, traceFlags: unknown): Context | undefined {
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  const flags = typeof traceFlags === 'string' ? Number.parseInt(traceFlags, 16) : 0;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.isNaN(flags) ? 0 : flags, isRemote: false });
}

function timestampOf(time: unknown): number {
  const millis = typeof time === 'string' || typeof time === 'number' ? new Date(time).getTime() : Number.NaN;
  return Number.isNaN(millis) ? Date.now() : millis;
}

/**
 * One of the kit's pino lines (level as text, ISO `time`, `msg`, trace fields from the log
 * correlation) as an OpenTelemetry log record, mapped as `@opentelemetry/instrumentation-pino` maps
 * records: the message is the body, `err` the exception, the trace fields the record's span context,
 * every other field an attribute.
 */
export function logRecordFromLine(line: Record<string, unknown>): LogRecord {
  const { time, msg, level, err, hostname: _hostname, pid: _pid, trace_id, span_id, trace_flags, ...attributes } = line;
  const timestamp = timestampOf(time);
  const context = traceContext(trace_id, span_id, trace_flags);
  return {
    timestamp,
    observedTimestamp: timestamp,
    severityNumber: SEVERITY[String(level)] ?? SeverityNumber.UNSPECIFIED,
    severityText: typeof level === 'string' ? level : undefined,
    body: typeof msg === 'string' ? msg : undefined,
    attributes,
    ...(err !== undefined ? { exception: err } : {}),
    ...(context ? { context } : {}),
  };
}
