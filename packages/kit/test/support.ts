import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/logger.js';

/** A real pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(service = 'test'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service, level: 'debug', destination }), lines };
}
