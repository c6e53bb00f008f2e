import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthController } from '../src/controller.js';
import { newClientSchema, newUserSchema } from '../src/model.js';
import { MemoryAuthRepository } from '../src/repository/memory.js';
import { ClientExistsError, UsernameTakenError } from '../src/repository/repository.js';
import { DEFAULT_SCRYPT, ScryptHasher, type SecretHasher } from '../src/secrets.js';

/** Cheap parameters: these tests are about behaviour, not cost. */
const fastHasher = new ScryptHasher({ N: 1024, r: 8, p: 1 });

/** Records verifications, to see that an unknown name still costs a real one. */
class CountingHasher implements SecretHasher {
  readonly verifiedHashes: string[] = [];
  hash(secret: string): Promise<string> {
    return fastHasher.hash(secret);
  }
  verify(secret: string, hash: string): Promise<boolean> {
    this.verifiedHashes.push(hash);
    return fastHasher.verify(secret, hash);
  }
}

function controller(hasher: SecretHasher = fastHasher) {
  const repository = new MemoryAuthRepository();
  return { repository, auth: new AuthController(repository, hasher) };
}

describe('ScryptHasher', () => {
  test('hashes are salted, self-describing and verify only the right secret', async () => {
    const hasher = new ScryptHasher();
    const [first, second] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    assert.match(first, new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$8\\$${DEFAULT_SCRYPT.p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    assert.notEqual(first, second, 'same secret, same hash: no salt');
    assert.equal(await hasher.verify('correct horse', first), true);
    assert.equal(await hasher.verify('correct horse', second), true);
    assert.equal(await hasher.verify('correct horsE', first), false);
  });

  test('a hash made with other parameters still verifies (they are read from the hash)', async () => {
    const hash = await fastHasher.hash('s3cret-s3cret');
    assert.equal(await new ScryptHasher().verify('s3cret-s3cret', hash), true);
  });

  test('a malformed or hostile hash is a mismatch, not an error', async () => {
    for (const hash of ['', 'plain', 'bcrypt$1$2$3$4$5', 'scrypt$x$8$1$c2FsdA$a2V5', 'scrypt$1099511627776$8$1$c2FsdA$a2V5', 'scrypt$1024$8$1$$']) {
      assert.equal(await fastHasher.verify('anything', hash), false, hash);
    }
  });
});

describe('AuthController', () => {
  test('createUser stores a hash, never the password, and returns no hash', async () => {
    const { repository, auth } = controller();
    const created = await auth.createUser({ username: 'alice', password: 'wonderland', roles: ['admin'] });
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'roles', 'username']);
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    const stored = await repository.findUserByUsername('alice');
    assert.ok(stored);
    assert.equal(stored.id, created.id);
    assert.deepEqual(stored.roles, ['admin']);
    assert.ok(stored.passwordHash.startsWith('scrypt$'));
    assert.doesNotMatch(stored.passwordHash, /wonderland/);
  });

  test('authenticateUser: right password → the user; wrong password or unknown user → undefined', async () => {
    const { auth } = controller();
    const created = await auth.createUser({ username: 'alice', password: 'wonderland', roles: [] });
    assert.deepEqual(await auth.authenticateUser('alice', 'wonderland'), created);
    assert.equal(await auth.authenticateUser('alice', 'Wonderland'), undefined);
    assert.equal(await auth.authenticateUser('mallory', 'wonderland'), undefined);
  });

  test('an unknown username costs a hash verification too (no timing oracle for usernames)', async () => {
    const hasher = new CountingHasher();
    const { auth } = controller(hasher);
    assert.equal(await auth.authenticateUser('nobody', 'whatever1'), undefined);
    assert.equal(await auth.authenticateClient('ghost', 'whatever-whatever'), undefined);
    assert.equal(hasher.verifiedHashes.length, 2);
    for (const hash of hasher.verifiedHashes) assert.match(hash, /^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
  });

  test('a second user with the same username → UsernameTakenError', async () => {
    const { auth } = controller();
    await auth.createUser({ username: 'alice', password: 'wonderland', roles: [] });
    await assert.rejects(auth.createUser({ username: 'alice', password: 'different1', roles: [] }), UsernameTakenError);
    assert.ok(await auth.authenticateUser('alice', 'wonderland'), 'the first password no longer works');
  });

  test('clients: created with a hashed secret, authenticated by it, unique by id', async () => {
    const { repository, auth } = controller();
    const created = await auth.createClient({ clientId: 'movie', secret: 'a-long-client-secret', roles: ['service'] });
    assert.deepEqual(Object.keys(created).sort(), ['clientId', 'createdAt', 'roles']);
    assert.doesNotMatch((await repository.findClient('movie'))?.secretHash ?? '', /a-long-client-secret/);
    assert.deepEqual(await auth.authenticateClient('movie', 'a-long-client-secret'), created);
    assert.equal(await auth.authenticateClient('movie', 'a-long-client-secreT'), undefined);
    await assert.rejects(auth.createClient({ clientId: 'movie', secret: 'another-long-secret', roles: [] }), ClientExistsError);
  });
});

describe('input schemas', () => {
  test('usernames are trimmed and lower-cased; roles deduplicated', () => {
    assert.deepEqual(newUserSchema.parse({ username: '  Alice ', password: 'wonderland', roles: ['admin', 'user', 'admin'] }), {
      username: 'alice',
      password: 'wonderland',
      roles: ['admin', 'user'],
    });
    assert.deepEqual(newUserSchema.parse({ username: 'bob', password: 'builder!' }).roles, []);
  });

  test('bad names, short secrets and bad roles are refused', () => {
    for (const input of [
      { username: 'al', password: 'wonderland' },
      { username: 'al ice', password: 'wonderland' },
      { username: 'zoë', password: 'wonderland' },
      { username: 'alice', password: 'short' },
      { username: 'alice', password: 'wonderland', roles: ['Admin'] },
      { username: 'alice', password: 'wonderland', extra: true },
    ]) {
      assert.equal(newUserSchema.safeParse(input).success, false, JSON.stringify(input));
    }
    assert.equal(newClientSchema.safeParse({ clientId: 'movie', secret: 'too-short' }).success, false);
    assert.equal(newClientSchema.safeParse({ clientId: 'Movie', secret: 'a-long-client-secret' }).success, false);
    assert.equal(newClientSchema.safeParse({ clientId: 'movie', secret: 'a-long-client-secret' }).success, true);
  });
});
