import type { Database } from '@cinemetrics/kit';
import type { RowDataPacket } from 'mysql2/promise';
import type { Client, User } from '../model.js';
import { ClientExistsError, UsernameTakenError, type AuthRepository, type Upserted } from './repository.js';

interface UserRow extends RowDataPacket {
  id: string;
  username: string;
  password_hash: string;
  roles: string | string[];
  created_at: Date;
}

interface ClientRow extends RowDataPacket {
  client_id: string;
  secret_hash: string;
  roles: string | string[];
  created_at: Date;
}

/** MariaDB returns JSON columns as text, MySQL as parsed values. */
function parseRoles(value: string | string[]): string[] {
  return typeof value === 'string' ? (JSON.parse(value) as string[]) : value;
}

/** The unique key a duplicate-entry error names (`users_username`, `PRIMARY`), or undefined for other errors. */
function duplicateKey(error: unknown): string | undefined {
  const { code, sqlMessage } = error as { code?: string; sqlMessage?: string };
  if (code !== 'ER_DUP_ENTRY') return undefined;
  // MariaDB: "for key 'users_username'"; MySQL 8: "for key 'users.users_username'".
  return /for key '(?:[^'.]+\.)?([^'.]+)'/.exec(sqlMessage ?? '')?.[1] ?? 'unknown';
}

export class MysqlAuthRepository implements AuthRepository {
  constructor(private readonly database: Database) {}

  async createUser(user: User): Promise<void> {
    try {
      await this.database.execute(
        'INSERT INTO users (id, username, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?)',
        [user.id, user.username, user.passwordHash, JSON.stringify(user.roles), user.createdAt],
      );
    } catch (error) {
      if (duplicateKey(error) === 'users_username') throw new UsernameTakenError(user.username);
      throw error;
    }
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const [row] = await this.database.query<UserRow>(
      'SELECT id, username, password_hash, roles, created_at FROM users WHERE username = ?',
      [username],
    );
    return (
      row && {
        id: row.id,
        username: row.username,
        passwordHash: row.password_hash,
        roles: parseRoles(row.roles),
        createdAt: row.created_at,
      }
    );
  }

  async createClient(client: Client): Promise<void> {
    try {
      await this.database.execute('INSERT INTO clients (client_id, secret_hash, roles, created_at) VALUES (?, ?, ?, ?)', [
        client.clientId,
        client.secretHash,
        JSON.stringify(client.roles),
        client.createdAt,
      ]);
    } catch (error) {
      if (duplicateKey(error) === 'PRIMARY') throw new ClientExistsError(client.clientId);
      throw error;
    }
  }

  async findClient(clientId: string): Promise<Client | undefined> {
    const [row] = await this.database.query<ClientRow>(
      'SELECT client_id, secret_hash, roles, created_at FROM clients WHERE client_id = ?',
      [clientId],
    );
    return row && { clientId: row.client_id, secretHash: row.secret_hash, roles: parseRoles(row.roles), createdAt: row.created_at };
  }

  /** One statement, so concurrent upserts of a new name cannot collide; it reports 1 affected row for an insert, 2 for an update. */
  async upsertUser(user: User): Promise<Upserted<User>> {
    const result = await this.database.execute(
      'INSERT INTO users (id, username, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), roles = VALUES(roles)',
      [user.id, user.username, user.passwordHash, JSON.stringify(user.roles), user.createdAt],
    );
    const stored = await this.findUserByUsername(user.username);
    if (stored === undefined) throw new Error('the upserted user is missing');
    return { stored, created: result.affectedRows === 1 };
  }

  async upsertClient(client: Client): Promise<Upserted<Client>> {
    const result = await this.database.execute(
      'INSERT INTO clients (client_id, secret_hash, roles, created_at) VALUES (?, ?, ?, ?) ' +
        'ON DUPLICATE KEY UPDATE secret_hash = VALUES(secret_hash), roles = VALUES(roles)',
      [client.clientId, client.secretHash, JSON.stringify(client.roles), client.createdAt],
    );
    const stored = await this.findClient(client.clientId);
    if (stored === undefined) throw new Error('the upserted client is missing');
    return { stored, created: result.affectedRows === 1 };
  }
}

