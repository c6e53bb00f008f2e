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
  traced,
} from '@cinemetrics/kit';
import { MetadataController } from './controller.js';
import { metadataRoutes } from './http/routes.js';
import { MemoryMetadataRepository } from './repository/memory.js';
import { MysqlMetadataRepository } from './repository/mysql.js';
import type { MetadataRepository } from './repository/repository.js';

const SERVICE = 'metadata';

runMain(SERVICE, async () => {
  const env = loadConfig(serviceEnvWithDefaults({ PORT: 8081, ADMIN_PORT: 8091 }));
  const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const health = new HealthRegistry();
  const store = await openServiceDatabase({
    env,
    database: SERVICE,
    migrationsDirectory: path.resolve(__dirname, '../../migrations'),
    logger,
    health,
  });
  const repository = traced<MetadataRepository>(
    store ? new MysqlMetadataRepository(store.database) : new MemoryMetadataRepository(),
    'Repository',
    {
      get: ([id]) => ({ 'movie.id': id }),
      put: ([metadata]) => ({ 'movie.id': metadata.id }),
      list: ([query]) => ({ 'page.limit': query.limit, ...(query.afterId ? { 'page.after_id': query.afterId } : {}) }),
    },
  );
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
