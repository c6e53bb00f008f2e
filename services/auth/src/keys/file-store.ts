import { randomUUID } from 'node:crypto';
import { chmod, link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { SigningKey } from './signing-key.js';
import { rotated, withCandidate, type SigningKeyStore } from './store.js';

/** `{ keys: [private JWK + kid, alg, created_at, retired_at] }`, as in AUTH_SIGNING_KEY_FILE. */
const keyFileSchema = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      crv: z.string(),
      x: z.string(),
      d: z.string(),
      kid: z.string().min(1),
      alg: z.string(),
      created_at: z.iso.datetime(),
      retired_at: z.iso.datetime().nullable(),
    }),
  ),
});

type StoredKey = z.infer<typeof keyFileSchema>['keys'][number];

/** Owner read/write only: the file holds private keys. */
const FILE_MODE = 0o600;

function fromStored({ created_at, retired_at, ...jwk }: StoredKey): SigningKey {
  const { d: _private, ...publicJwk } = jwk;
  return {
    kid: jwk.kid,
    privateJwk: jwk,
    publicJwk: { ...publicJwk, use: 'sig' },
    createdAt: new Date(created_at),
    retiredAt: retired_at === null ? null : new Date(retired_at),
  };
}

function toStored(key: SigningKey): Record<string, unknown> {
  return { ...key.privateJwk, kid: key.kid, created_at: key.createdAt.toISOString(), retired_at: key.retiredAt?.toISOString() ?? null };
}

export interface KeyFileWarnings {
  /** Called when the existing file is readable or writable by others than its owner. */
  loosePermissions(mode: number): void;
}

/**
 * Keys in a JSON file (AUTH_SIGNING_KEY_FILE), e.g. a mounted secret shared by replicas. The file is
 * created with mode 0600 when missing; it is replaced whole (written beside it, then renamed) so a
 * reader never sees half a file, and created with a hard link so two replicas starting at once cannot
 * both create it.
 */
export class FileSigningKeyStore implements SigningKeyStore {
  readonly kind = 'file';

  constructor(
    private readonly path: string,
    private readonly warnings: KeyFileWarnings,
  ) {}

  async list(): Promise<SigningKey[]> {
    return (await this.read()) ?? [];
  }

  async addIfNoCurrent(candidate: SigningKey): Promise<void> {
    const existing = await this.read();
    if (existing === undefined) {
      if (await this.createExclusively([candidate])) return;
      return this.addIfNoCurrent(candidate);
    }
    if (!existing.some((key) => key.retiredAt === null)) await this.replace(withCandidate(existing, candidate));
  }

  async rotate(next: SigningKey, dropRetiredBefore: Date): Promise<void> {
    await this.replace(rotated((await this.read()) ?? [], next, dropRetiredBefore));
  }

  /** The keys, or undefined when the file does not exist. */
  private async read(): Promise<SigningKey[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const mode = (await stat(this.path)).mode & 0o777;
    if ((mode & 0o077) !== 0) this.warnings.loosePermissions(mode);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`AUTH_SIGNING_KEY_FILE ${this.path} is not JSON`);
    }
    const parsed = keyFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`AUTH_SIGNING_KEY_FILE ${this.path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is not a key file'}`);
    }
    return parsed.data.keys.map(fromStored);
  }

  /** False when another process created the file first. */
  private async createExclusively(keys: SigningKey[]): Promise<boolean> {
    const temporary = await this.writeTemporary(keys);
    try {
      await link(temporary, this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temporary);
    }
  }

  private async replace(keys: SigningKey[]): Promise<void> {
    await rename(await this.writeTemporary(keys), this.path);
  }

  private async writeTemporary(keys: SigningKey[]): Promise<string> {
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ keys: keys.map(toStored) }, null, 2)}\n`, { mode: FILE_MODE, flag: 'wx' });
    // The umask may have narrowed the mode further, never widened it; make it exact.
    await chmod(temporary, FILE_MODE);
    return temporary;
  }
}
