import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { flushTelemetry } from './shutdown.js';

/** A crash waits this long at most for the last spans and log records to leave. */
const CRASH_FLUSH_BUDGET_MS = 2000;

/**
 * Runs a service's main function: a configuration error prints the variables at fault and exits 2;
 * any other start-up failure exits 1. A crash after start-up is logged, and telemetry flushed (within
 * CRASH_FLUSH_BUDGET_MS), before the process exits 1.
 */
export function runMain(name: string, main: () => Promise<{ logger: Logger }>): void {
  main().then(
    ({ logger }) => {
      process.on('uncaughtException', (error) => {
        logger.fatal({ err: error }, 'uncaught exception');
        void flushTelemetry(logger, CRASH_FLUSH_BUDGET_MS).then(() => logger.flush(() => process.exit(1)));
      });
      process.on('unhandledRejection', (reason) => {
        logger.error({ err: reason }, 'unhandled promise rejection');
      });
    },
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
