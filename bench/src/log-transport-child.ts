/**
 * One bench/log-transport measurement: logs BENCH_LOG_LINES access-log-like lines through the kit's
 * logger in request-sized chunks, each chunk under its own span, with a pause between chunks as
 * between requests; then flushes and reports its CPU time to the bench over IPC.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { trace } from '@opentelemetry/api';
import { createLogger } from '@cinemetrics/kit';
import { closeLogExport, exportingLogDestination } from '@cinemetrics/telemetry';
import { cpuSeconds, mainThreadCpuSeconds } from './proc-stats.js';
// Already loaded by --require before pino; imported here for its SDK's shutdown.
import { benchSdk } from './log-transport-sdk.js';
import { variantFromEnv, type LogTransportResult, type LogTransportVariant } from './log-transport-variants.js';

const LINES = Number(process.env['BENCH_LOG_LINES'] ?? 20000);
/** Lines per request: the access log line and the service's own. */
const LINES_PER_REQUEST = 10;

interface Destination {
  stream: pino.DestinationStream;
  /** pino-opentelemetry-transport needs pino's own line format (numeric level, epoch time), not the kit's. */
  pinoFormat?: boolean;
  /** Resolves once every line is written and exported. */
  finish: () => Promise<void>;
}

type Closable = pino.DestinationStream & NodeJS.EventEmitter & { end(): void };

function closed(stream: Closable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.end();
  });
}

function destinationFor(variant: LogTransportVariant): Destination {
  switch (variant) {
    case 'stdout-only':
      return { stream: pino.destination({ dest: 1, sync: false }), finish: () => Promise.resolve() };
    case 'instrumentation-pino':
      return { stream: pino.destination({ dest: 1, sync: false }), finish: async () => benchSdk?.shutdown() };
    case 'kit-transport':
      return {
        stream: exportingLogDestination({ protocol: 'http/protobuf', batch: {}, resource: { 'service.name': 'bench' }, scope: { name: 'bench', version: '0.0.0' } }),
        finish: closeLogExport,
      };
    case 'pino-opentelemetry-transport': {
      // One target: pino refuses several targets with the kit's level-as-text formatter (it drops lines),
      // so the main thread writes stdout as with stdout-only and the worker only exports.
      const transport = pino.transport({
        target: 'pino-opentelemetry-transport',
        options: { loggerName: 'bench', serviceVersion: '0.0.0', resourceAttributes: { 'service.name': 'bench' } },
      }) as Closable;
      // The transport waits for the logger's configuration, which pino sends only to a stream it writes to directly.
      transport.emit('message', { code: 'PINO_CONFIG', config: { levels: pino.levels, messageKey: 'msg', errorKey: 'err' } });
      const stream = pino.multistream([
        { stream: pino.destination({ dest: 1, sync: false }), level: 'info' },
        { stream: transport, level: 'info' },
      ]);
      return { stream, pinoFormat: true, finish: () => closed(transport) };
    }
  }
}

async function main(): Promise<void> {
  // pino's transport workers are unref'd: without this the process could end while they finish.
  const keepAlive = setInterval(() => {}, 1000);
  const destination = destinationFor(variantFromEnv());
  const logger = destination.pinoFormat
    ? pino({ level: 'info', base: { service: 'bench' }, messageKey: 'msg' }, destination.stream)
    : createLogger({ service: 'bench', level: 'info', destination: destination.stream });
  const tracer = trace.getTracer('bench');
  await sleep(200);
  const mainBefore = mainThreadCpuSeconds(process.pid);
  const processBefore = cpuSeconds(process.pid);
  for (let line = 0; line < LINES; ) {
    tracer.startActiveSpan('GET /metadata/:id', (span) => {
      for (let i = 0; i < LINES_PER_REQUEST && line < LINES; i += 1, line += 1) {
        logger.info({ component: 'http', 'http.route': '/metadata/:id', 'url.path': `/metadata/tt${line}`, status: 200, duration_ms: 1.25, sequence: line }, 'bench line');
      }
      span.end();
    });
    await sleep(1);
  }
  await destination.finish();
  const result: LogTransportResult = {
    lines: LINES,
    mainThreadCpuSeconds: mainThreadCpuSeconds(process.pid) - mainBefore,
    processCpuSeconds: cpuSeconds(process.pid) - processBefore,
  };
  process.send?.(result, () => {
    clearInterval(keepAlive);
    process.disconnect();
  });
}

void main();
