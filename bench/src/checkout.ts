/** Where the files of this tree are in another built checkout, for the benches' `--baseline` runs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT, TELEMETRY_PRELOAD } from '@cinemetrics/testing';

/** The telemetry preload of a checkout, wherever that checkout keeps it (older ones had it in the kit). */
const PRELOAD_LOCATIONS = [path.relative(REPOSITORY_ROOT, TELEMETRY_PRELOAD), 'packages/kit/dist/src/telemetry/register.js'];

/** `file` of this tree, in `checkout`; throws naming it when that checkout has not built it. */
export function builtIn(checkout: string, file: string): string {
  const there = path.join(checkout, path.relative(REPOSITORY_ROOT, file));
  if (!existsSync(there)) throw new Error(`${checkout}: no ${path.relative(checkout, there)} there (run npm run build in it)`);
  return there;
}

/** The telemetry preload of `checkout`; throws when it has none built. */
export function preloadIn(checkout: string): string {
  const found = PRELOAD_LOCATIONS.map((location) => path.join(checkout, location)).find((file) => existsSync(file));
  if (found === undefined) throw new Error(`${checkout}: no telemetry preload built there (run npm run build in it)`);
  return found;
}
