import pino, { type Logger, type LevelWithSilent } from 'pino';
import { exportingLogDestination, gatherLines, getTelemetry, stdoutForGatheredLines } from '@cinemetrics/telemetry';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. Exact paths only: wildcards make every line pay for a
 * walk over the whole object. Log credentials only under these names (or not at all).
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'password',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'client_secret',
  'secret',
  'body.password',
  'body.client_secret',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * Fields of errors that hold raw request bytes: node's parser errors carry the whole packet read so
 * far (`rawPacket`: request line, headers and credentials), messages their raw header list.
 */
const RAW_REQUEST_FIELDS = ['rawPacket', 'rawHeaders', 'rawTrailers'];

/** A copy without RAW_REQUEST_FIELDS at any depth (errors nest causes and wrapped errors). */
function withoutRawRequest(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => withoutRawRequest(item, depth + 1));
  if (Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (!RAW_REQUEST_FIELDS.includes(key)) copy[key] = withoutRawRequest(field, depth + 1);
  }
  return copy;
}

/** pino's error serializer, minus raw request bytes wherever they hide in the error and its causes. */
export function serializeError(error: unknown): unknown {
  return withoutRawRequest(pino.stdSerializers.err(error as Error));
}

export interface LoggerOptions {
  service: string;
  level: LevelWithSilent;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
  /** `pretty` for people, `json` for machines; `auto` (default) is pretty only on a terminal. */
  format?: 'auto' | 'json' | 'pretty';
}

function defaultDestination(format: LoggerOptions['format']): pino.DestinationStream {
  const pretty = format === 'pretty' || (format !== 'json' && process.stdout.isTTY === true);
  // Loaded only for a person's terminal: services in production and under test never load it.
  const prettyStream = pretty
    ? (require('pino-pretty') as typeof import('pino-pretty'))({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
    : undefined;
  const logExport = getTelemetry()?.logExport;
  if (logExport) return exportingLogDestination(logExport, prettyStream);
  if (prettyStream) return prettyStream;
  return gatheredStdout();
}

/**
 * stdout, written once per gathering of lines (gatherLines: every LOG_GATHER_INTERVAL_MS, and at exit) rather than
 * once per line. The write is synchronous: it is one write(2) per gathering, and at exit nothing is
 * left in flight.
 */
function gatheredStdout(): pino.DestinationStream & { flush(callback?: () => void): void } {
  const stdout = stdoutForGatheredLines();
  const gathering = gatherLines((lines) => stdout.write(lines));
  return {
    write: gathering.write,
    // logger.flush(): before a graceful exit or after a crash.
    flush(callback) {
      gathering.passOnNow();
      callback?.();
    },
  };
}

let stampedMillis = -1;
let stamp = '';

/**
 * pino's `isoTime`, formatted once per millisecond: under load many lines share a millisecond, and
 * `toISOString` is among the costlier steps of writing a line.
 */
function isoTimeCachedPerMillisecond(): string {
  const now = Date.now();
  if (now !== stampedMillis) {
    stampedMillis = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/**
 * One JSON object per line with `level` as text, ISO `time`, `service` and (on child loggers)
 * `component`. Messages are constant strings; variable data goes into fields.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      messageKey: 'msg',
      timestamp: isoTimeCachedPerMillisecond,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.destination ?? defaultDestination(options.format),
  );
}

export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}
