import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

const EXTRA_BINARY_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

/**
 * Resolves an executable: an absolute path is only checked, a bare name is looked up in
 * PATH and then in the usual system directories (Debian keeps some daemons in sbin,
 * which is not always on PATH). `installHint` ends the error message when it is missing.
 */
export async function findBinary(name: string, installHint: string): Promise<string> {
  if (isAbsolute(name)) {
    if (await isExecutable(name)) return name;
    throw new Error(`${name} does not exist or is not executable. ${installHint}`);
  }
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of [...pathDirs, ...EXTRA_BINARY_DIRS]) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error(`${name} not found in PATH or ${EXTRA_BINARY_DIRS.join(', ')}. ${installHint}`);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
