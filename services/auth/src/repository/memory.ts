import type { Client, User } from '../model.js';
import { ClientExistsError, UsernameTakenError, type AuthRepository, type Upserted } from './repository.js';

/** For local runs and tests: in-process maps with the MySQL repository's semantics. */
export class MemoryAuthRepository implements AuthRepository {
  private readonly usersByName = new Map<string, User>();
  private readonly userIds = new Set<string>();
  private readonly clients = new Map<string, Client>();

  createUser(user: User): Promise<void> {
    if (this.usersByName.has(user.username)) return Promise.reject(new UsernameTakenError(user.username));
    // The id is a fresh UUID; a repeat is a defect, as the primary key would report in MySQL.
    if (this.userIds.has(user.id)) return Promise.reject(new Error(`duplicate user id ${user.id}`));
    this.usersByName.set(user.username, structuredClone(user));
    this.userIds.add(user.id);
    return Promise.resolve();
  }

  findUserByUsername(username: string): Promise<User | undefined> {
    const user = this.usersByName.get(username);
    return Promise.resolve(user && structuredClone(user));
  }

  createClient(client: Client): Promise<void> {
    if (this.clients.has(client.clientId)) return Promise.reject(new ClientExistsError(client.clientId));
    this.clients.set(client.clientId, structuredClone(client));
    return Promise.resolve();
  }

  findClient(clientId: string): Promise<Client | undefined> {
    const client = this.clients.get(clientId);
    return Promise.resolve(client && structuredClone(client));
  }

  async upsertUser(user: User): Promise<Upserted<User>> {
    const existing = this.usersByName.get(user.username);
    if (existing === undefined) {
      await this.createUser(user);
      return { stored: structuredClone(user), created: true };
    }
    const stored = { ...existing, passwordHash: user.passwordHash, roles: [...user.roles] };
    this.usersByName.set(user.username, stored);
    return { stored: structuredClone(stored), created: false };
  }

  upsertClient(client: Client): Promise<Upserted<Client>> {
    const existing = this.clients.get(client.clientId);
    const stored = existing === undefined ? structuredClone(client) : { ...existing, secretHash: client.secretHash, roles: [...client.roles] };
    this.clients.set(client.clientId, stored);
    return Promise.resolve({ stored: structuredClone(stored), created: existing === undefined });
  }
}
