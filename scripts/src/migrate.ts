/**
 * `node scripts/dist/src/migrate.js <service>`: applies one service's migrations to its own database
 * and exits. The Kubernetes migration Jobs (deploy/kubernetes) run it before a rollout; the services
 * apply the same migrations at start-up, and both take the kit's migration lock.
 *
 * Environment: MYSQL_URL (required, mysql://user:password@host:3306), LOG_LEVEL, LOG_FORMAT. Exit
 * codes: 0 done, 2 an unknown service or a bad configuration, 1 anything else.
 */
import '@cinemetrics/kit/node-version';
import path from 'node:path';
import { ConfigError, createLogger, Database, loadConfig, migrate, mysqlUrl, serviceEnvSchema } from '@cinemetrics/kit';
import { z } from 'zod';
import { describeError } from './seed.js';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const SERVICES_WITH_DATABASES = ['metadata', 'rating', 'auth'] as const;

const envSchema = z.object({
  MYSQL_URL: mysqlUrl.unwrap(),
  LOG_LEVEL: serviceEnvSchema.shape.LOG_LEVEL,
  LOG_FORMAT: serviceEnvSchema.shape.LOG_FORMAT,
});

type ServiceWithDatabase = (typeof SERVICES_WITH_DATABASES)[number];

function isServiceWithDatabase(name: string | undefined): name is ServiceWithDatabase {
  return SERVICES_WITH_DATABASES.some((known) => known === name);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [service, ...rest] = argv;
  if (!isServiceWithDatabase(service) || rest.length > 0) {
    process.stderr.write(`usage: migrate.js <service> (one of ${SERVICES_WITH_DATABASES.join(', ')})\n`);
    return 2;
  }
  let config: z.infer<typeof envSchema>;
  try {
    config = loadConfig(envSchema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`migrate: ${error.message}\n`);
    return 2;
  }
  const logger = createLogger({ service: `${service}-migrations`, level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const database = await Database.open({ url: config.MYSQL_URL, database: service, poolSize: 1, logger, connectDeadlineMs: 30_000 });
  try {
    const applied = await migrate(database, path.join(REPO_ROOT, 'services', service, 'migrations'), logger);
    // The services' own start-up line (docs/telemetry.md), so one query finds both.
    logger.info({ store: 'mysql', database: service, migrations_applied: applied }, 'database ready');
  } finally {
    await database.close();
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`migrate: failed: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
