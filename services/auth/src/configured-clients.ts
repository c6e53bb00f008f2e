import type { Logger } from '@cinemetrics/kit';
import type { AuthController } from './controller.js';
import type { NewClient } from './model.js';

/**
 * Creates each client of AUTH_CLIENTS, or replaces its secret and roles: the configuration is the
 * source of truth for these clients, so a restart with a new secret (or of an in-memory auth) keeps
 * them working. Secrets are never logged.
 */
export async function applyConfiguredClients(controller: AuthController, clients: readonly NewClient[], logger: Logger): Promise<void> {
  for (const input of clients) {
    const { client, created } = await controller.upsertClient(input);
    logger.info({ client_id: client.clientId, roles: client.roles }, created ? 'configured client created' : 'configured client updated');
  }
}
