import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, newSigningKey, startAuth, type SigningKey, type StartedAuth, type StartServiceOptions, type TempDir } from '@cinemetrics/testing';

export interface KeyedAuth extends StartedAuth {
  /** The key auth signs with: the test can forge tokens the services cannot tell from auth's own. */
  key: SigningKey;
  keyFile: string;
  /** Removes the key file's directory (auth must be stopped first). */
  dispose(): Promise<void>;
}

/** The `d` (private part) of every key in an AUTH_SIGNING_KEY_FILE: what must never leave it. */
export async function privateKeyParts(keyFile: string): Promise<string[]> {
  return (JSON.parse(await readFile(keyFile, 'utf8')) as { keys: Array<{ d: string }> }).keys.map((key) => key.d);
}

/** The auth service signing with a key this test wrote to its AUTH_SIGNING_KEY_FILE. */
export async function startAuthWithKeyFile(options: StartServiceOptions = {}): Promise<KeyedAuth> {
  const dir: TempDir = await makeTempDir('auth-key-file-');
  const keyFile = path.join(dir.path, 'signing-keys.json');
  const key = await newSigningKey();
  const stored = { ...key.privateJwk, created_at: new Date().toISOString(), retired_at: null };
  await writeFile(keyFile, JSON.stringify({ keys: [stored] }), { mode: 0o600 });
  const auth = await startAuth({ ...options, env: { ...options.env, AUTH_SIGNING_KEY_FILE: keyFile } });
  return { ...auth, key, keyFile, dispose: () => dir.remove() };
}
