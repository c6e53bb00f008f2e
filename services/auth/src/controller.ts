import { randomUUID } from 'node:crypto';
import type { Client, NewClient, NewUser, PublicClient, PublicUser, User } from './model.js';
import type { AuthRepository } from './repository/repository.js';
import type { SecretHasher } from './secrets.js';

function publicUser({ passwordHash: _hash, ...user }: User): PublicUser {
  return user;
}

function publicClient({ secretHash: _hash, ...client }: Client): PublicClient {
  return client;
}

/** Milliseconds, as the database keeps them, so a stored value reads back equal. */
function now(): Date {
  return new Date(Date.now());
}

/**
 * Users and clients: creation (secrets hashed, never kept) and credential checks. Tokens are issued
 * from a successful check by TokenIssuer (tokens.ts).
 */
export class AuthController {
  /** Compared against when the user is unknown, so a wrong username costs as long as a wrong password. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly repository: AuthRepository,
    private readonly hasher: SecretHasher,
  ) {}

  /** Rejects with UsernameTakenError when the username is in use. */
  async createUser(input: NewUser): Promise<PublicUser> {
    const user: User = {
      id: randomUUID(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      roles: input.roles,
      createdAt: now(),
    };
    await this.repository.createUser(user);
    return publicUser(user);
  }

  /** Rejects with ClientExistsError when the client id is in use. */
  async createClient(input: NewClient): Promise<PublicClient> {
    const client: Client = {
      clientId: input.clientId,
      secretHash: await this.hasher.hash(input.secret),
      roles: input.roles,
      createdAt: now(),
    };
    await this.repository.createClient(client);
    return publicClient(client);
  }

  /** Creates the user, or sets a new password and roles for the existing one (its id stays). */
  async upsertUser(input: NewUser): Promise<{ user: PublicUser; created: boolean }> {
    const { stored, created } = await this.repository.upsertUser({
      id: randomUUID(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      roles: input.roles,
      createdAt: now(),
    });
    return { user: publicUser(stored), created };
  }

  /** Creates the client, or sets a new secret and roles for the existing one. */
  async upsertClient(input: NewClient): Promise<{ client: PublicClient; created: boolean }> {
    const { stored, created } = await this.repository.upsertClient({
      clientId: input.clientId,
      secretHash: await this.hasher.hash(input.secret),
      roles: input.roles,
      createdAt: now(),
    });
    return { client: publicClient(stored), created };
  }

  /** The user when the password matches; undefined for an unknown user or a wrong password alike. */
  async authenticateUser(username: string, password: string): Promise<PublicUser | undefined> {
    const user = await this.repository.findUserByUsername(username);
    const matches = await this.hasher.verify(password, user?.passwordHash ?? (await this.fallbackHash()));
    return user && matches ? publicUser(user) : undefined;
  }

  /** The client when the secret matches; undefined for an unknown client or a wrong secret alike. */
  async authenticateClient(clientId: string, secret: string): Promise<PublicClient | undefined> {
    const client = await this.repository.findClient(clientId);
    const matches = await this.hasher.verify(secret, client?.secretHash ?? (await this.fallbackHash()));
    return client && matches ? publicClient(client) : undefined;
  }

  private fallbackHash(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(randomUUID());
    return this.dummyHash;
  }
}
