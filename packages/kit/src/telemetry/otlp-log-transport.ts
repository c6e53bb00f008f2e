/**
 * A pino transport, run by pino in a worker thread: it writes each line to stdout and exports it as an
 * OTLP log record, so parsing lines back, building records and serializing batches never run on the
 * event loop that serves requests. Created by log-export.ts; never imported by the main thread.
 */
import build from 'pino-abstract-transport';
import pino from 'pino';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { logExporter } from './exporters.js';
import { forwardingMeterProvider } from './self-observability-forwarder.js';
import type { LogExportOptions } from './log-export.js';
import { logRecordFromLine } from './pino-log-record.js';

export default function otlpLogTransport(options: LogExportOptions) {
  const selfObservability = forwardingMeterProvider();
  const provider = new LoggerProvider({
    // The same detectors as the main thread's SDK (sdk.ts), over the attributes it computed.
    resource: resourceFromAttributes(options.resource).merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] })),
    processors: [new BatchLogRecordProcessor({ exporter: logExporter(options.protocol, selfObservability), selfObsMeterProvider: selfObservability, ...options.batch })],
  });
  const otelLogger = provider.getLogger(options.scope.name, options.scope.version);
  // Synchronous: this thread has nothing else to do, and a line written before a crash is not lost.
  const stdout = options.writeStdout ? pino.destination({ dest: 1, sync: true }) : undefined;

  const forward = (line: string) => {
    stdout?.write(`${line}\n`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (parsed !== null && typeof parsed === 'object') otelLogger.emit(logRecordFromLine(parsed as Record<string, unknown>));
  };

  return build(
    // A 'data' listener rather than `for await`: no promise per line.
    (source) => {
      source.on('data', forward);
    },
    {
      parse: 'lines',
      async close() {
        await provider.shutdown();
        selfObservability.close();
        stdout?.flushSync();
      },
    },
  );
}
