import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './cleanup.js';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Creates a fresh directory `<parent>/<prefix>XXXXXX` (parent defaults to the OS temp dir).
 * It is also removed automatically when the test process exits.
 */
export async function makeTempDir(prefix: string, parent: string = tmpdir()): Promise<TempDir> {
  const path = await mkdtemp(join(parent, prefix));
  const cancelExitRemoval = removeOnExit(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      cancelExitRemoval();
    },
  };
}
