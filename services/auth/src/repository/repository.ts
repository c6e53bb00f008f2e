import type { Client, User } from '../model.js';

export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super('username already taken');
    this.name = 'UsernameTakenError';
  }
}

export class ClientExistsError extends Error {
  constructor(readonly clientId: string) {
    super('client id already registered');
    this.name = 'ClientExistsError';
  }
}

/**
 * Storage of users and service clients. Values are stored as given (the model normalises them);
 * usernames and client ids compare byte for byte. Returned objects are the caller's to change.
 */
export interface AuthRepository {
  /** Rejects with UsernameTakenError when the username is in use. */
  createUser(user: User): Promise<void>;
  findUserByUsername(username: string): Promise<User | undefined>;
  /** Rejects with ClientExistsError when the client id is in use. */
  createClient(client: Client): Promise<void>;
  findClient(clientId: string): Promise<Client | undefined>;
  /**
   * Creates the user, or replaces the password hash and roles of the user with that username (its id
   * and creation time stay, so its tokens' `sub` and the data kept under it stay valid). Resolves
   * with the stored user and whether it was created.
   */
  upsertUser(user: User): Promise<Upserted<User>>;
  /** Creates the client, or replaces the secret hash and roles of the client with that id. */
  upsertClient(client: Client): Promise<Upserted<Client>>;
}

export interface Upserted<T> {
  stored: T;
  created: boolean;
}
