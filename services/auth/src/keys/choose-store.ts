import type { Database, Logger } from '@cinemetrics/kit';
import { FileSigningKeyStore } from './file-store.js';
import { MemorySigningKeyStore } from './memory-store.js';
import { MysqlSigningKeyStore } from './mysql-store.js';
import type { SigningKeyStore } from './store.js';

/** AUTH_SIGNING_KEY_FILE when set, else the database, else memory. */
export function signingKeyStore(keyFile: string | undefined, database: Database | undefined, logger: Logger): SigningKeyStore {
  if (keyFile !== undefined) {
    return new FileSigningKeyStore(keyFile, {
      loosePermissions: (mode) =>
        logger.warn({ mode: `0${mode.toString(8)}` }, 'signing key file is readable or writable by other users'),
    });
  }
  return database ? new MysqlSigningKeyStore(database) : new MemorySigningKeyStore();
}
