import path from 'node:path';
import {
  createLogger,
  HealthRegistry,
  loadConfig,
  openServiceDatabase,
  readPackageInfo,
  runMain,
  serviceEnvWithDefaults,
  startService,
} from '@cinemetrics/kit';
import { MetadataController } from './controller.js';
import { metadataRoutes } from './http/routes.js';
import { MemoryMetadataRepository } from './repository/memory.js';
import { MysqlMetadataRepository } from './repository/mysql.js';

const SERVICE = 'metadata';

runMain(SERVICE, async () => {
  const env = loadConfig(serviceEnvWithDefaults({ PORT: 8081, ADMIN_PORT: 8091 }));
  const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
  const health = new HealthRegistry();
  const store = await openServiceDatabase({
    env,
    database: SERVICE,
    migrationsDirectory: path.resolve(__dirname, '../../migrations'),
    logger,
    health,
  });
  const repository = store ? new MysqlMetadataRepository(store.database) : new MemoryMetadataRepository();
  const pkg = readPackageInfo(__dirname);
  await startService({
    name: SERVICE,
    version: pkg.version,
    description: pkg.description,
    env,
    logger,
    health,
    routes: metadataRoutes(new MetadataController(repository)),
    shutdownHooks: store ? [store.shutdownHook] : [],
  });
  return { logger };
});
