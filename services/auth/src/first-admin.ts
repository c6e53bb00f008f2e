import type { Logger } from '@cinemetrics/kit';
import type { AuthController } from './controller.js';
import { UsernameTakenError } from './repository/repository.js';

/**
 * Creates the administrator named by AUTH_ADMIN_USERNAME unless that username exists: an existing
 * user (and its password) is never changed. The password is never logged; the username neither.
 */
export async function ensureFirstAdmin(
  controller: AuthController,
  credentials: { username: string | undefined; password: string | undefined },
  logger: Logger,
): Promise<void> {
  const { username, password } = credentials;
  if (username === undefined || password === undefined) return;
  try {
    const admin = await controller.createUser({ username, password, roles: ['admin'] });
    logger.info({ user_id: admin.id }, 'first admin created');
  } catch (error) {
    if (!(error instanceof UsernameTakenError)) throw error;
    logger.info('first admin exists, left unchanged');
  }
}
