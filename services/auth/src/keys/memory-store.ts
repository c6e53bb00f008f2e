import type { SigningKey } from './signing-key.js';
import { rotated, withCandidate, type SigningKeyStore } from './store.js';

/** Without MYSQL_URL: the key lives as long as the process, so every restart signs with a new one. */
export class MemorySigningKeyStore implements SigningKeyStore {
  readonly kind = 'memory';
  private keys: SigningKey[] = [];

  async list(): Promise<SigningKey[]> {
    return structuredClone(this.keys);
  }

  async addIfNoCurrent(candidate: SigningKey): Promise<void> {
    this.keys = withCandidate(this.keys, structuredClone(candidate));
  }

  async rotate(next: SigningKey, dropRetiredBefore: Date): Promise<void> {
    this.keys = rotated(this.keys, structuredClone(next), dropRetiredBefore);
  }
}
