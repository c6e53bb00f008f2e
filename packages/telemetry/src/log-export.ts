import pino from 'pino';
import { gatherLines, passOnAllGathered, stdoutForGatheredLines, type ByteSink } from './line-gathering.js';
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

/**
 * How long ending the log-export worker may still take once the main thread stopped waiting for its
 * export (closeLogExport): the one wait on the event loop that the shutdown's budget cannot cut short.
 */
export const LOG_WORKER_LAST_EXPORT_MS = 1_000;

/** pino's transport, a thread-stream: it takes bytes too, though its types name strings only. */
type TransportStream = pino.DestinationStream &
  ByteSink &
  NodeJS.EventEmitter & { readonly writable: boolean; end(): void; flush(callback: (error?: Error) => void): void };

type FlushableDestination = pino.DestinationStream & { flush(callback: (error?: Error) => void): void };

const openStreams = new Set<TransportStream>();

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
 * Lines gather (line-gathering.ts), then go to the worker while it runs. Once it has ended (a line
 * logged after the shutdown flush) or failed, they go straight to stdout: losing the worker costs the
 * OTLP copy of the logs, never the logs, and never the process (an unhandled stream error would crash
 * it).
 */
function gatheringDestination(transport: TransportStream, writeStdout: boolean): FlushableDestination {
  let stdout: ByteSink | undefined;
  transport.on('error', (error: Error) => {
    process.stderr.write(`log export stopped: ${error.message}; lines go to stdout only from now on\n`);
  });
  const gathering = gatherLines((lines) => {
    if (transport.writable) transport.write(lines);
    else if (writeStdout) (stdout ??= stdoutForGatheredLines()).write(lines);
  });
  return {
    write: gathering.write,
    flush(callback) {
      gathering.passOnNow();
      if (transport.writable) transport.flush(callback);
      else callback();
    },
  };
}

/** Longest wait for a worker to exit once it was told to end; its exporter has timeouts of its own. */
const WORKER_CLOSE_WAIT_MS = 30_000;

/**
 * Ends the workers after each has written and exported every line it was given, waiting at most
 * `budgetMs` for the export. The export is awaited first, asynchronously (the stream's flush makes the
 * worker export its batches, otlp-log-transport.ts): ending a stream waits for the worker's close
 * synchronously, so the event loop would otherwise be held for as long as an unreachable collector keeps
 * the exporter retrying. A worker thread does not hold the process open, so the wait for its 'close' is
 * held open by a timer: without one, a process with nothing else pending would exit mid-shutdown, and
 * whatever it meant to log after it is lost.
 */
export async function closeLogExport(budgetMs = WORKER_CLOSE_WAIT_MS): Promise<void> {
  passOnAllGathered();
  const streams = [...openStreams];
  openStreams.clear();
  await Promise.all(streams.map((stream) => exportWithin(stream, budgetMs)));
  await Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          const bound = setTimeout(resolve, WORKER_CLOSE_WAIT_MS);
          stream.once('close', () => {
            clearTimeout(bound);
            resolve();
          });
          stream.end();
        }),
    ),
  );
}

/** The worker's export of everything it holds, or the end of `budgetMs`, whichever comes first. */
function exportWithin(stream: TransportStream, budgetMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, budgetMs);
    stream.flush(() => {
      clearTimeout(bound);
      resolve();
    });
  });
}
