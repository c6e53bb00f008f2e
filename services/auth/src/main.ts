import path from 'node:path';
import { serviceMain, traced } from '@cinemetrics/kit';
import { AuthController } from './controller.js';
import { authRoutes } from './http/routes.js';
import { MemoryAuthRepository } from './repository/memory.js';
import { MysqlAuthRepository } from './repository/mysql.js';
import type { AuthRepository } from './repository/repository.js';
import { ScryptHasher } from './secrets.js';

serviceMain({
  name: 'auth',
  defaultPorts: { PORT: 8084, ADMIN_PORT: 8094 },
  mainDirectory: __dirname,
  migrationsDirectory: path.resolve(__dirname, '../../migrations'),
  build: ({ database }) => {
    // Usernames are personal data: they stay off spans; user ids (UUIDs) and client ids do not.
    const repository = traced<AuthRepository>(
      database ? new MysqlAuthRepository(database) : new MemoryAuthRepository(),
      'Repository',
      {
        createUser: ([user]) => ({ 'user.id': user.id }),
        findUserByUsername: () => ({}),
        createClient: ([client]) => ({ 'auth.client_id': client.clientId }),
        findClient: ([clientId]) => ({ 'auth.client_id': clientId }),
      },
    );
    return { routes: authRoutes(new AuthController(repository, new ScryptHasher())) };
  },
});
