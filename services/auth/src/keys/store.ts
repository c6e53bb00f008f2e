import type { SigningKey } from './signing-key.js';

/**
 * Where signing keys live: the database, memory, or a key file. Writes are atomic with respect to
 * other replicas sharing the same store.
 */
export interface SigningKeyStore {
  /** Which store this is, for the start-up log. */
  readonly kind: 'mysql' | 'memory' | 'file';
  list(): Promise<SigningKey[]>;
  /** Adds `candidate` unless a key that is not retired exists already (several replicas may race). */
  addIfNoCurrent(candidate: SigningKey): Promise<void>;
  /**
   * Retires every current key at `next.createdAt` and adds `next`, in one step; drops the keys
   * retired before `dropRetiredBefore` (no token they signed is still valid).
   */
  rotate(next: SigningKey, dropRetiredBefore: Date): Promise<void>;
}

/** What addIfNoCurrent and rotate do to a list of keys, shared by the stores that hold a whole list. */
export function withCandidate(keys: readonly SigningKey[], candidate: SigningKey): SigningKey[] {
  return keys.some((key) => key.retiredAt === null) ? [...keys] : [...keys, candidate];
}

export function rotated(keys: readonly SigningKey[], next: SigningKey, dropRetiredBefore: Date): SigningKey[] {
  const kept = keys.filter((key) => key.retiredAt === null || key.retiredAt >= dropRetiredBefore);
  return [...kept.map((key) => (key.retiredAt === null ? { ...key, retiredAt: next.createdAt } : key)), next];
}
