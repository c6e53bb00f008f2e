/**
 * A pino transport, run by pino in a worker thread: it writes each line to stdout and exports it as an
 * OTLP log record, so parsing lines back, building records and serializing batches never run on the
 * event loop that serves requests. Created by log-export.ts; never imported by the main thread.
 */
import { setTimeout as delay } from 'node:timers/promises';
import build from 'pino-abstract-transport';
import pino from 'pino';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { logExporter } from './exporters.js';
import { forwardingMeterProvider } from './self-observability-forwarder.js';
import { LOG_WORKER_LAST_EXPORT_MS, type LogExportOptions } from './log-export.js';
import { logRecordFromLine } from './pino-log-record.js';

export default function otlpLogTransport(options: LogExportOptions) {
  const selfObservability = forwardingMeterProvider();
  const provider = new LoggerProvider({
    // The same detectors as the main thread's SDK (sdk.ts), over the attributes it computed.
    resource: resourceFromAttributes(options.resource).merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] })),
    processors: [new BatchLogRecordProcessor({ exporter: logExporter(options.protocol, selfObservability), selfObsMeterProvider: selfObservability, ...options.batch })],
  });
  const otelLogger = provider.getLogger(options.scope.name, options.scope.version);
  // Synchronous, so a line handed over before a crash is not lost; the lines of one chunk from the main
  // thread go out in one write, after the chunk is split (a microtask), rather than one syscall each.
  const stdout = options.writeStdout ? pino.destination({ dest: 1, sync: true }) : undefined;
  let unwritten = '';
  const writeStdout = () => {
    stdout?.write(unwritten);
    unwritten = '';
  };

  // pino-abstract-transport JSON-parses every line, even with `parse: 'lines'`: queueing the line for
  // stdout inside that parse spares a second one.
  const queueThenParse = (line: string): unknown => {
    if (stdout) {
      if (unwritten === '') queueMicrotask(writeStdout);
      unwritten += `${line}\n`;
    }
    return JSON.parse(line);
  };

  const destination = build(
    // A 'data' listener rather than `for await`: no promise per line. Lines that are not JSON reach
    // stdout and are dropped by build() before they get here.
    (source) => {
      source.on('data', (line: Record<string, unknown>) => otelLogger.emit(logRecordFromLine(line)));
    },
    {
      parseLine: queueThenParse,
      metadata: false,
      async close() {
        // The main thread waits for this synchronously, and has already waited for the export
        // (flush, below) as long as its shutdown allows: an export still retrying is not waited for again.
        await Promise.race([provider.shutdown(), delay(LOG_WORKER_LAST_EXPORT_MS, undefined, { ref: false })]);
        selfObservability.close();
        writeStdout();
        stdout?.flushSync();
      },
    },
  );
  // thread-stream calls this for the main thread's asynchronous flush(): the batches are exported now.
  return Object.assign(destination, { flush: () => provider.forceFlush() });
}
