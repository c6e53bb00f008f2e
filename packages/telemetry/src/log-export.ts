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

/** What the SDK decides for the log worker; the logger adds where stdout goes. */
export type LogExportSettings = Omit<LogExportOptions, 'writeStdout'>;

type TransportStream = pino.DestinationStream &
  NodeJS.EventEmitter & { readonly writable: boolean; end(): void; flush(callback: (error?: Error) => void): void };

type FlushableDestination = pino.DestinationStream & { flush(callback: (error?: Error) => void): void };

/**
 * How long lines gather on the main thread before they cross to the worker together. Every handover
 * wakes the worker and, once it has read, the main thread again (futex wakes and a task each side), so
 * handing over every event-loop turn costs main-thread time per request (docs/performance.md). Lines
 * reach stdout at most this much later; none is lost at exit, on a crash or at shutdown (handOverAll).
 */
export const LOG_HANDOVER_INTERVAL_MS = 5;

const openStreams = new Set<TransportStream>();
const pendingHandovers = new Set<() => void>();

/**
 * The destination of a logger whose lines are also exported over OTLP: a pino transport in a worker
 * thread (otlp-log-transport.ts). With pretty output, the main thread formats for the terminal and
 * the worker only exports.
 */
export function exportingLogDestination(options: LogExportSettings, pretty?: pino.DestinationStream): pino.DestinationStream {
  const transport = pino.transport({
    target: require.resolve('./otlp-log-transport.js'),
    options: { ...options, writeStdout: pretty === undefined } satisfies LogExportOptions,
  }) as unknown as TransportStream;
  openStreams.add(transport);
  const worker = gatheringDestination(transport, pretty === undefined);
  if (!pretty) return worker;
  return pino.multistream([
    { stream: pretty, level: 'trace' },
    { stream: worker, level: 'trace' },
  ]);
}

/**
 * Lines gather for LOG_HANDOVER_INTERVAL_MS, then go to the worker while it runs. Once it has ended (a
 * line logged after the shutdown flush) or failed, they go straight to stdout: losing the worker costs
 * the OTLP copy of the logs, never the logs, and never the process (an unhandled stream error would
 * crash it).
 */
function gatheringDestination(transport: TransportStream, writeStdout: boolean): FlushableDestination {
  let stdout: pino.DestinationStream | undefined;
  let gathered = '';
  let timer: NodeJS.Timeout | undefined;
  transport.on('error', (error: Error) => {
    process.stderr.write(`log export stopped: ${error.message}; lines go to stdout only from now on\n`);
  });
  const handOver = () => {
    clearTimeout(timer);
    timer = undefined;
    if (gathered === '') return;
    const lines = gathered;
    gathered = '';
    if (transport.writable) transport.write(lines);
    else if (writeStdout) (stdout ??= pino.destination({ dest: 1, sync: true })).write(lines);
  };
  watchForExit();
  pendingHandovers.add(handOver);
  return {
    write(line: string) {
      gathered += line;
      timer ??= setTimeout(handOver, LOG_HANDOVER_INTERVAL_MS).unref();
    },
    flush(callback) {
      handOver();
      if (transport.writable) transport.flush(callback);
      else callback();
    },
  };
}

function handOverAll(): void {
  for (const handOver of pendingHandovers) handOver();
}

let watchingExit = false;

/**
 * At exit, gathered lines must reach the transport before pino's own exit hook flushes and ends it:
 * prepended, this runs first.
 */
function watchForExit(): void {
  if (watchingExit) return;
  watchingExit = true;
  process.prependListener('exit', handOverAll);
}

/** Ends the workers after each has written and exported every line it was given. */
export async function closeLogExport(): Promise<void> {
  handOverAll();
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
