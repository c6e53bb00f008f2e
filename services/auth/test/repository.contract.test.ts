import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger, Database, migrate } from '@cinemetrics/kit';
import { startMariaDb, type MariaDb } from '@cinemetrics/testing';
import type { Client, User } from '../src/model.js';
import { MemoryAuthRepository } from '../src/repository/memory.js';
import { MysqlAuthRepository } from '../src/repository/mysql.js';
import { ClientExistsError, UsernameTakenError, type AuthRepository } from '../src/repository/repository.js';

/**
 * One behaviour, two implementations: every case runs against the memory repository and against the
 * MySQL one on a real MariaDB with the service's migrations applied.
 */

const MIGRATIONS = path.resolve(__dirname, '../../migrations');
const silent = createLogger({ service: 'auth-test', level: 'silent' });

let sequence = 0;
/** Names unique within the run, so cases sharing one database do not see each other's rows. */
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}-${randomUUID().slice(0, 8)}`;
}

function newUser(overrides: Partial<User> = {}): User {
  return {
    id: randomUUID(),
    username: unique('user'),
    passwordHash: `scrypt$32768$8$1$${randomUUID()}$hash`,
    roles: ['user'],
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

function newClient(overrides: Partial<Client> = {}): Client {
  return {
    clientId: unique('client'),
    secretHash: `scrypt$32768$8$1$${randomUUID()}$hash`,
    roles: ['service'],
    createdAt: new Date('2026-03-04T05:06:07.891Z'),
    ...overrides,
  };
}

function contract(name: string, repository: () => AuthRepository): void {
  describe(`${name} auth repository`, () => {
    test('a created user is found by username with every field intact', async () => {
      const user = newUser({ roles: ['user', 'admin'] });
      await repository().createUser(user);
      assert.deepEqual(await repository().findUserByUsername(user.username), user);
    });

    test('an unknown username → undefined', async () => {
      assert.equal(await repository().findUserByUsername(unique('nobody')), undefined);
    });

    test('usernames compare exactly: another case is another name', async () => {
      const user = newUser();
      await repository().createUser(user);
      assert.equal(await repository().findUserByUsername(user.username.toUpperCase()), undefined);
      await repository().createUser(newUser({ username: user.username.toUpperCase() }));
    });

    test('a taken username → UsernameTakenError and the first user is kept', async () => {
      const first = newUser();
      await repository().createUser(first);
      await assert.rejects(
        repository().createUser(newUser({ username: first.username, passwordHash: 'other' })),
        (error: unknown) => error instanceof UsernameTakenError && error.username === first.username,
      );
      assert.deepEqual(await repository().findUserByUsername(first.username), first);
    });

    test('no roles round-trips as an empty list', async () => {
      const user = newUser({ roles: [] });
      await repository().createUser(user);
      assert.deepEqual((await repository().findUserByUsername(user.username))?.roles, []);
    });

    test('a returned user is a copy', async () => {
      const user = newUser();
      await repository().createUser(user);
      const found = await repository().findUserByUsername(user.username);
      found?.roles.push('admin');
      user.roles.push('admin');
      assert.deepEqual((await repository().findUserByUsername(user.username))?.roles, ['user']);
    });

    test('a created client is found by id with every field intact', async () => {
      const client = newClient({ roles: ['service', 'metadata:write'] });
      await repository().createClient(client);
      assert.deepEqual(await repository().findClient(client.clientId), client);
    });

    test('an unknown client id → undefined', async () => {
      assert.equal(await repository().findClient(unique('ghost')), undefined);
    });

    test('a registered client id → ClientExistsError and the first client is kept', async () => {
      const first = newClient();
      await repository().createClient(first);
      await assert.rejects(
        repository().createClient(newClient({ clientId: first.clientId, secretHash: 'other' })),
        (error: unknown) => error instanceof ClientExistsError && error.clientId === first.clientId,
      );
      assert.deepEqual(await repository().findClient(first.clientId), first);
    });

    test('upsertUser creates a new user, then replaces only its password hash and roles', async () => {
      const user = newUser({ roles: [] });
      const created = await repository().upsertUser(user);
      assert.deepEqual(created, { stored: user, created: true });
      assert.deepEqual(await repository().findUserByUsername(user.username), user);

      const replacement = newUser({ username: user.username, passwordHash: 'scrypt$new', roles: ['admin'] });
      const replaced = await repository().upsertUser(replacement);
      const expected = { ...user, passwordHash: 'scrypt$new', roles: ['admin'] };
      assert.deepEqual(replaced, { stored: expected, created: false }, 'the id and creation time stay');
      assert.deepEqual(await repository().findUserByUsername(user.username), expected);
    });

    test('upsertClient creates a new client, then replaces only its secret hash and roles', async () => {
      const client = newClient();
      assert.deepEqual(await repository().upsertClient(client), { stored: client, created: true });
      const replaced = await repository().upsertClient(newClient({ clientId: client.clientId, secretHash: 'scrypt$rotated', roles: [] }));
      const expected = { ...client, secretHash: 'scrypt$rotated', roles: [] };
      assert.deepEqual(replaced, { stored: expected, created: false }, 'the creation time stays');
      assert.deepEqual(await repository().findClient(client.clientId), expected);
    });

    test('users and clients are separate namespaces', async () => {
      const name = unique('shared');
      await repository().createUser(newUser({ username: name }));
      await repository().createClient(newClient({ clientId: name }));
      assert.equal((await repository().findUserByUsername(name))?.username, name);
      assert.equal((await repository().findClient(name))?.clientId, name);
    });
  });
}

const memory = new MemoryAuthRepository();
contract('memory', () => memory);

describe('mysql', () => {
  let mariadb: MariaDb;
  let database: Database;
  let mysql: MysqlAuthRepository;

  before(async () => {
    mariadb = await startMariaDb();
    database = await Database.open({ url: mariadb.url, database: 'auth', poolSize: 4, logger: silent });
    assert.equal(await migrate(database, MIGRATIONS, silent), readdirSync(MIGRATIONS).filter((file) => file.endsWith('.sql')).length);
    mysql = new MysqlAuthRepository(database);
  });

  after(async () => {
    await database?.close();
    await mariadb?.dispose();
  });

  contract('mysql', () => mysql);
});
