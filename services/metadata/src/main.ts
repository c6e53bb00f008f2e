import path from 'node:path';
import { serviceMain, traced } from '@cinemetrics/kit';
import { MetadataController } from './controller.js';
import { metadataRoutes } from './http/routes.js';
import { MemoryMetadataRepository } from './repository/memory.js';
import { MysqlMetadataRepository } from './repository/mysql.js';
import type { MetadataRepository } from './repository/repository.js';

serviceMain({
  name: 'metadata',
  defaultPorts: { PORT: 8081, ADMIN_PORT: 8091 },
  mainDirectory: __dirname,
  migrationsDirectory: path.resolve(__dirname, '../../migrations'),
  build: ({ database }) => {
    const repository = traced<MetadataRepository>(
      database ? new MysqlMetadataRepository(database) : new MemoryMetadataRepository(),
      'Repository',
      {
        get: ([id]) => ({ 'movie.id': id }),
        put: ([metadata]) => ({ 'movie.id': metadata.id }),
        list: ([query]) => ({ 'page.limit': query.limit, ...(query.afterId ? { 'page.after_id': query.afterId } : {}) }),
      },
    );
    return { routes: metadataRoutes(new MetadataController(repository)) };
  },
});
