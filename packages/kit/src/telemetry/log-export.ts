import pino from 'pino';
import type { BatchSettings, OtlpProtocol } from './settings.js';

/** What the log-export worker needs; plain data, since it crosses to the worker thread. */
export interface LogExportOptions {
  protocol: OtlpProtocol;
  batch: BatchSettings;
  /** The main thread's resource attributes before detection (service name, version, instance id, environment). */
  resource: Record<string, string>;
  scope: { name: string; version: string };
  /** True when the worker also writes the lines to stdout (JSON format); pretty output stays on the main thread. */
  writeStdout: boolean;
}

type TransportStream = pino.DestinationStream & NodeJS.EventEmitter & { end(): void };

const openStreams = new Set<TransportStream>();

/**
 * The destination of a logger whose lines are also exported over OTLP: a pino transport in a worker
 * thread (otlp-log-transport.ts). With pretty output, the main thread formats for the terminal and
 * the worker only exports.
 */
export function exportingLogDestination(options: Omit<LogExportOptions, 'writeStdout'>, pretty?: pino.DestinationStream): pino.DestinationStream {
  const transport = pino.transport({
    target: require.resolve('./otlp-log-transport.js'),
    options: { ...options, writeStdout: pretty === undefined } satisfies LogExportOptions,
  }) as TransportStream;
  openStreams.add(transport);
  if (!pretty) return transport;
  return pino.multistream([
    { stream: pretty, level: 'trace' },
    { stream: transport, level: 'trace' },
  ]);
}

/** Ends the workers after each has written and exported every line it was given. */
export async function closeLogExport(): Promise<void> {
  const streams = [...openStreams];
  openStreams.clear();
  await Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.end();
        }),
    ),
  );
}
