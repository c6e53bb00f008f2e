import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface PackageInfo {
  name: string;
  version: string;
  description: string;
}

/** Reads the package.json of the service whose compiled main lives in `directory` (dist/src). */
export function readPackageInfo(directory: string): PackageInfo {
  const file = path.resolve(directory, '../../package.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageInfo>;
  return { name: parsed.name ?? 'unknown', version: parsed.version ?? '0.0.0', description: parsed.description ?? '' };
}
