import type { Logger } from 'pino';
import type { Shutdown } from './shutdown.js';

function shutdownAndExit(shutdown: Shutdown, logger: Logger, reason: string): void {
  void shutdown(reason).then(() => {
    logger.flush(() => process.exit(0));
  });
}

/** SIGTERM or SIGINT shuts down gracefully and exits 0; a second signal during shutdown exits 1 at once. */
export function stopOnSignals(shutdown: Shutdown, logger: Logger, lifecycleLogger: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shutdown.started) {
        lifecycleLogger.warn({ signal }, 'second signal during shutdown; exiting now');
        logger.flush();
        process.exit(1);
      }
      shutdownAndExit(shutdown, logger, signal);
    });
  }
}

/**
 * A supervisor that starts its services with an IPC channel (npm start, npm run stack) never writes
 * to it: the channel closes when the supervisor ends however it ends, even by SIGKILL, and a service
 * left unsupervised stops as on SIGTERM.
 */
export function stopWhenSupervisorGone(shutdown: Shutdown, logger: Logger): void {
  if (!process.channel) return;
  process.once('disconnect', () => {
    if (!shutdown.started) shutdownAndExit(shutdown, logger, 'supervisor gone');
  });
}
