import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ServiceIdentity {
  name: string;
  version: string;
}

/**
 * The service's name and version from the package.json nearest to the entry script
 * (`services/metadata/dist/src/main.js` → `@cinemetrics/metadata` → `metadata`), so the preload
 * names telemetry correctly without configuration. OTEL_SERVICE_NAME still wins.
 */
export function identifyService(entry: string | undefined = process.argv[1]): ServiceIdentity {
  let directory = entry ? path.dirname(path.resolve(entry)) : process.cwd();
  for (let depth = 0; depth < 6; depth += 1) {
    const file = path.join(directory, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      return { name: (pkg.name ?? 'unknown_service').replace(/^@[^/]+\//, ''), version: pkg.version ?? '0.0.0' };
    }
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return { name: 'unknown_service', version: '0.0.0' };
}
