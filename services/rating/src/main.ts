import path from 'node:path';
import { serviceMain, traced } from '@cinemetrics/kit';
import { RatingController } from './controller.js';
import { ratingRoutes } from './http/routes.js';
import { MemoryRatingRepository } from './repository/memory.js';
import { MysqlRatingRepository } from './repository/mysql.js';
import type { RatingRepository } from './repository/repository.js';

serviceMain({
  name: 'rating',
  defaultPorts: { PORT: 8082, ADMIN_PORT: 8092 },
  mainDirectory: __dirname,
  migrationsDirectory: path.resolve(__dirname, '../../migrations'),
  build: ({ database }) => {
    const repository = traced<RatingRepository>(
      database ? new MysqlRatingRepository(database) : new MemoryRatingRepository(),
      'Repository',
      {
        summarize: ([key]) => ({ 'record.type': key.recordType, 'record.id': key.recordId }),
        put: ([rating]) => ({ 'record.type': rating.recordType, 'record.id': rating.recordId }),
        delete: ([key]) => ({ 'record.type': key.recordType, 'record.id': key.recordId }),
      },
    );
    return { routes: ratingRoutes(new RatingController(repository)) };
  },
});
