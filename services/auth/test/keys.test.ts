import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FileSigningKeyStore } from '../src/keys/file-store.js';
import { KeyRing, RETIRED_KEY_GRACE_MS } from '../src/keys/key-ring.js';
import { MemorySigningKeyStore } from '../src/keys/memory-store.js';
import { generateSigningKey } from '../src/keys/signing-key.js';
import type { SigningKeyStore } from '../src/keys/store.js';

const TTL_SECONDS = 600;

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-05-01T10:00:00.000Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

const noWarnings = { loosePermissions: () => assert.fail('unexpected loose-permissions warning') };

describe('KeyRing', () => {
  test('creates one key on first start; a second ring on the same store adopts it', async () => {
    const store = new MemorySigningKeyStore();
    const first = new KeyRing(store, { tokenTtlSeconds: TTL_SECONDS });
    const second = new KeyRing(store, { tokenTtlSeconds: TTL_SECONDS });
    await Promise.all([first.start(), second.start()]);
    after(() => [first, second].forEach((ring) => ring.stop()));
    assert.equal((await store.list()).length, 1);
    assert.equal(first.currentSigner().kid, second.currentSigner().kid);
  });

  test('rotation: the new key signs, the old one stays published until retired + TTL + grace, then is gone', async () => {
    const clock = manualClock();
    const store = new MemorySigningKeyStore();
    const ring = new KeyRing(store, { tokenTtlSeconds: TTL_SECONDS, now: clock.now });
    await ring.start();
    after(() => ring.stop());
    const old = ring.currentSigner().kid;
    clock.advance(1_000);
    const rotation = await ring.rotate();
    assert.deepEqual(rotation.retired, [old]);
    assert.equal(ring.currentSigner().kid, rotation.kid);
    assert.deepEqual(ring.publicJwks().keys.map((key) => key.kid).sort(), [old, rotation.kid].sort());

    clock.advance(TTL_SECONDS * 1000 + RETIRED_KEY_GRACE_MS - 1);
    assert.ok(ring.publicJwks().keys.some((key) => key.kid === old), 'still published just before it expires');
    clock.advance(2);
    assert.deepEqual(ring.publicJwks().keys.map((key) => key.kid), [rotation.kid]);

    // The next rotation drops the expired key from the store too: its private key is no longer kept.
    await ring.rotate();
    assert.ok(!(await store.list()).some((key) => key.kid === old));
  });

  test('the published JWKS carries public members only', async () => {
    const ring = new KeyRing(new MemorySigningKeyStore(), { tokenTtlSeconds: TTL_SECONDS });
    await ring.start();
    after(() => ring.stop());
    for (const key of ring.publicJwks().keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
  });
});

describe('FileSigningKeyStore', () => {
  test('creates the file with mode 0600; two stores starting at once on one file agree on one key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-keys-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'keys.json');
    const stores = [new FileSigningKeyStore(file, noWarnings), new FileSigningKeyStore(file, noWarnings)];
    const candidates = await Promise.all([generateSigningKey(new Date()), generateSigningKey(new Date())]);
    await Promise.all(stores.map((store, index) => store.addIfNoCurrent(candidates[index]!)));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const keys = await stores[1]!.list();
    assert.equal(keys.length, 1);
    assert.deepEqual(await stores[0]!.list(), keys);

    const content = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(content.keys[0] ?? {}).sort(), ['alg', 'created_at', 'crv', 'd', 'kid', 'kty', 'retired_at', 'x']);
    assert.ok(!('d' in (keys[0]?.publicJwk ?? {})), 'the public JWK derived from the file has no private part');
  });

  test('rotation keeps mode 0600; a file readable by others is reported', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-keys-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'keys.json');
    const modes: number[] = [];
    const store = new FileSigningKeyStore(file, { loosePermissions: (mode) => modes.push(mode) });
    await store.addIfNoCurrent(await generateSigningKey(new Date()));
    await store.rotate(await generateSigningKey(new Date()), new Date(0));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await store.list()).filter((key) => key.retiredAt === null).length, 1);
    assert.deepEqual(modes, []);

    await chmod(file, 0o644);
    await store.list();
    assert.deepEqual(modes, [0o644]);
  });

  test('a file that is not a key file stops the start with a message naming it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-keys-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'keys.json');
    await writeFile(file, '{"keys":[{"kid":"x"}]}', { mode: 0o600 });
    await assert.rejects(new FileSigningKeyStore(file, noWarnings).list(), /AUTH_SIGNING_KEY_FILE .*keys\.json/);
  });
});

describe('KeyRing JWKS', () => {
  test('concurrent JWKS requests share one read of the store; a failing store serves the keys already loaded', async () => {
    const store = new MemorySigningKeyStore();
    let reads = 0;
    let failing = false;
    const counting: SigningKeyStore = {
      kind: 'memory',
      list: async () => {
        reads += 1;
        if (failing) throw new Error('database down');
        return store.list();
      },
      addIfNoCurrent: (candidate) => store.addIfNoCurrent(candidate),
      rotate: (next, dropRetiredBefore) => store.rotate(next, dropRetiredBefore),
    };
    const ring = new KeyRing(counting, { tokenTtlSeconds: TTL_SECONDS, jwksMaxAgeMs: 0 });
    await ring.start();
    after(() => ring.stop());
    const loaded = ring.publicJwks();
    reads = 0;
    await Promise.all([ring.jwks(), ring.jwks(), ring.jwks()]);
    assert.equal(reads, 1);
    failing = true;
    assert.deepEqual(await ring.jwks(), loaded);
  });
});
