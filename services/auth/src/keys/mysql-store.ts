import { DependencyUnavailableError, isUnavailableError, type Database } from '@cinemetrics/kit';
import type { JWK } from 'jose';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { SigningKey } from './signing-key.js';
import type { SigningKeyStore } from './store.js';

interface SigningKeyRow extends RowDataPacket {
  kid: string;
  public_jwk: string | JWK;
  private_jwk: string | JWK;
  created_at: Date;
  retired_at: Date | null;
}

/** MariaDB returns JSON columns as text, MySQL as parsed values. */
function parseJwk(value: string | JWK): JWK {
  return typeof value === 'string' ? (JSON.parse(value) as JWK) : value;
}

/** A server-wide named lock: replicas changing the keys at once take turns. */
const LOCK_NAME = 'cinemetrics_auth_signing_keys';
const LOCK_WAIT_SECONDS = 10;

/** Keys in the `signing_keys` table, shared by every replica on the database. */
export class MysqlSigningKeyStore implements SigningKeyStore {
  readonly kind = 'mysql';

  constructor(private readonly database: Database) {}

  async list(): Promise<SigningKey[]> {
    const rows = await this.database.query<SigningKeyRow>(
      'SELECT kid, public_jwk, private_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at, kid',
    );
    return rows.map((row) => ({
      kid: row.kid,
      publicJwk: parseJwk(row.public_jwk),
      privateJwk: parseJwk(row.private_jwk),
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    }));
  }

  async addIfNoCurrent(candidate: SigningKey): Promise<void> {
    await this.locked(async (connection) => {
      const [current] = await connection.query<RowDataPacket[]>('SELECT kid FROM signing_keys WHERE retired_at IS NULL LIMIT 1');
      if (current.length === 0) await insert(connection, candidate);
    });
  }

  async rotate(next: SigningKey, dropRetiredBefore: Date): Promise<void> {
    await this.locked(async (connection) => {
      await connection.query('DELETE FROM signing_keys WHERE retired_at < ?', [dropRetiredBefore]);
      await connection.query('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL', [next.createdAt]);
      await insert(connection, next);
    });
  }

  /**
   * Runs `work` in a transaction while holding the named lock, released only after the commit, so a
   * replica waiting for the lock reads what this one wrote.
   */
  private async locked(work: (connection: PoolConnection) => Promise<void>): Promise<void> {
    try {
      await this.database.withConnection(async (connection) => {
        const [[lock]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [LOCK_NAME, LOCK_WAIT_SECONDS]);
        if (lock?.['acquired'] !== 1) throw new Error(`signing key lock not acquired within ${LOCK_WAIT_SECONDS} s`);
        try {
          await connection.beginTransaction();
          await work(connection);
          await connection.commit();
        } catch (error) {
          await connection.rollback().catch(() => undefined);
          throw error;
        } finally {
          await connection.query('DO RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
        }
      });
    } catch (error) {
      throw isUnavailableError(error) ? new DependencyUnavailableError('database', error) : error;
    }
  }
}

async function insert(connection: PoolConnection, key: SigningKey): Promise<void> {
  await connection.query(
    'INSERT INTO signing_keys (kid, algorithm, public_jwk, private_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)',
    [key.kid, key.publicJwk.alg ?? 'EdDSA', JSON.stringify(key.publicJwk), JSON.stringify(key.privateJwk), key.createdAt, key.retiredAt],
  );
}
