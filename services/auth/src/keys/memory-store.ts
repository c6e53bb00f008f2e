import type { SigningKey } from './signing-key.js';
import { rotated, withCandidate, type SigningKeyStore } from './store.js';

/** Without MYSQL_URL: the key lives as long as the process, so every restart signs with a new one. */
export class MemorySigningKeyStore implements SigningKeyStore {
  readonly kind = 'memory';
  private keys: SigningKey[] = [];

  list(): Promise<SigningKey[]> {
    return Promise.resolve(structuredClone(this.keys));
  }

  addIfNoCurrent(candidate: SigningKey): Promise<void> {
    this.keys = withCandidate(this.keys, structuredClone(candidate));
    return Promise.resolve();
  }

  rotate(next: SigningKey, dropRetiredBefore: Date): Promise<void> {
    this.keys = rotated(this.keys, structuredClone(next), dropRetiredBefore);
    return Promise.resolve();
  }
}
