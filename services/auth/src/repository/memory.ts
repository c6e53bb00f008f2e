import type { Client, User } from '../model.js';
import { ClientExistsError, UsernameTakenError, type AuthRepository } from './repository.js';

/** For local runs and tests: in-process maps with the MySQL repository's semantics. */
export class MemoryAuthRepository implements AuthRepository {
  private readonly usersByName = new Map<string, User>();
  private readonly userIds = new Set<string>();
  private readonly clients = new Map<string, Client>();

  async createUser(user: User): Promise<void> {
    if (this.usersByName.has(user.username)) throw new UsernameTakenError(user.username);
    // The id is a fresh UUID; a repeat is a defect, as the primary key would report in MySQL.
    if (this.userIds.has(user.id)) throw new Error(`duplicate user id ${user.id}`);
    this.usersByName.set(user.username, structuredClone(user));
    this.userIds.add(user.id);
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const user = this.usersByName.get(username);
    return user && structuredClone(user);
  }

  async createClient(client: Client): Promise<void> {
    if (this.clients.has(client.clientId)) throw new ClientExistsError(client.clientId);
    this.clients.set(client.clientId, structuredClone(client));
  }

  async findClient(clientId: string): Promise<Client | undefined> {
    const client = this.clients.get(clientId);
    return client && structuredClone(client);
  }
}
