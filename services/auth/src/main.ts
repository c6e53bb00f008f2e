import path from 'node:path';
import { serviceMain, traced } from '@cinemetrics/kit';
import { BoundedHasher } from './bounded-hasher.js';
import { authEnvSchema } from './config.js';
import { AuthController } from './controller.js';
import { applyConfiguredClients } from './configured-clients.js';
import { ensureFirstAdmin } from './first-admin.js';
import { authAdminRouter } from './http/admin-routes.js';
import { authRoutes } from './http/routes.js';
import { signingKeyStore } from './keys/choose-store.js';
import { KeyRing } from './keys/key-ring.js';
import type { SigningKeyStore } from './keys/store.js';
import { MemoryAuthRepository } from './repository/memory.js';
import { MysqlAuthRepository } from './repository/mysql.js';
import type { AuthRepository } from './repository/repository.js';
import { DEFAULT_SCRYPT, ScryptHasher } from './secrets.js';
import { SignInLimiter } from './signin-limiter.js';
import { TokenIssuer } from './tokens.js';

serviceMain({
  name: 'auth',
  defaultPorts: { PORT: 8084, ADMIN_PORT: 8094 },
  mainDirectory: __dirname,
  migrationsDirectory: path.resolve(__dirname, '../../migrations'),
  env: () => authEnvSchema,
  build: async ({ env, logger, database, adminAccess }) => {
    // Usernames are personal data: they stay off spans; user ids (UUIDs) and client ids do not.
    const repository = traced<AuthRepository>(
      database ? new MysqlAuthRepository(database) : new MemoryAuthRepository(),
      'Repository',
      {
        createUser: ([user]) => ({ 'user.id': user.id }),
        findUserByUsername: () => ({}),
        createClient: ([client]) => ({ 'auth.client_id': client.clientId }),
        findClient: ([clientId]) => ({ 'auth.client_id': clientId }),
        upsertUser: () => ({}),
        upsertClient: ([client]) => ({ 'auth.client_id': client.clientId }),
      },
    );
    // Private keys never reach a span: only kids are recorded.
    const store = traced<SigningKeyStore>(signingKeyStore(env.AUTH_SIGNING_KEY_FILE, database, logger), 'SigningKeys', {
      list: () => ({}),
      addIfNoCurrent: ([candidate]) => ({ 'auth.kid': candidate.kid }),
      rotate: ([next]) => ({ 'auth.kid': next.kid }),
    });
    const keys = new KeyRing(store, { tokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS });
    await keys.start();
    logger.info({ store: store.kind, kid: keys.currentSigner().kid }, 'signing keys loaded');

    const controller = new AuthController(repository, new BoundedHasher(new ScryptHasher({ ...DEFAULT_SCRYPT, N: env.AUTH_SCRYPT_N }), env.AUTH_HASH_CONCURRENCY));
    await ensureFirstAdmin(controller, { username: env.AUTH_ADMIN_USERNAME, password: env.AUTH_ADMIN_PASSWORD }, logger);
    await applyConfiguredClients(controller, env.AUTH_CLIENTS ?? [], logger);
    const limiter = new SignInLimiter(
      {
        maxFailuresPerAccount: env.SIGNIN_MAX_FAILURES_PER_ACCOUNT,
        maxFailuresPerAddress: env.SIGNIN_MAX_FAILURES_PER_ADDRESS,
        blockSeconds: env.SIGNIN_BLOCK_SECONDS,
      },
      database,
    );
    const issuer = new TokenIssuer(keys, { issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS });
    const parts = {
      routes: authRoutes({ controller, issuer, limiter, keys, issuerName: env.AUTH_ISSUER, publicUrl: env.AUTH_URL }),
      adminRouters: [authAdminRouter({ controller, keys, access: adminAccess, logger })],
      shutdownHooks: [
        {
          name: 'signing keys',
          run: () => {
            keys.stop();
            return Promise.resolve();
          },
        },
      ],
      // Its own tokens (an admin's, on the admin port) are verified with the key ring, not a fetch.
      verificationKeys: () => keys.jwks(),
    };
    return parts;
  },
});
