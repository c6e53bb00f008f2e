import type { Logger } from 'pino';
import type { ServiceEnv } from '../config.js';
import type { HealthRegistry } from '../health.js';
import type { ShutdownHook } from '../service.js';
import { Database } from './database.js';
import { migrate } from './migrate.js';

export interface ServiceDatabaseOptions {
  env: Pick<ServiceEnv, 'MYSQL_URL' | 'MYSQL_POOL_SIZE'>;
  /** The service's own database, created when missing. */
  database: string;
  migrationsDirectory: string;
  logger: Logger;
  health: HealthRegistry;
}

export interface ServiceDatabase {
  database: Database;
  shutdownHook: ShutdownHook;
}

/**
 * Opens the service's database when MYSQL_URL is set: creates it, applies migrations, registers the
 * readiness check. Without MYSQL_URL it says loudly that the in-memory store is in use and returns
 * undefined, so the caller picks its memory repository.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<ServiceDatabase | undefined> {
  const { env, logger } = options;
  if (!env.MYSQL_URL) {
    logger.warn(
      { store: 'memory' },
      'MYSQL_URL is not set: using the in-memory store; data is lost when the process stops',
    );
    return undefined;
  }
  const database = await Database.open({
    url: env.MYSQL_URL,
    database: options.database,
    poolSize: env.MYSQL_POOL_SIZE,
    logger,
  });
  const applied = await migrate(database, options.migrationsDirectory, logger);
  logger.info({ store: 'mysql', database: options.database, migrations_applied: applied }, 'database ready');
  options.health.register({ name: 'database', check: () => database.ping() });
  return { database, shutdownHook: { name: 'close database pool', run: () => database.close() } };
}
