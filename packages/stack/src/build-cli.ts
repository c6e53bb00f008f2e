/**
 * `npm run stack:build [-- component…]`: builds the telemetry stack's binaries from their pinned Go
 * modules into the cache (cache.ts), skipping what is built already, with progress per component.
 */
import { COMPONENT_NAMES, type ComponentName } from './components.js';
import { BuildError, ensureBuilt, goVersion } from './build.js';
import { cacheRoot } from './cache.js';

function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function isComponentName(name: string): name is ComponentName {
  return (COMPONENT_NAMES as readonly string[]).includes(name);
}

export async function buildStack(names: readonly ComponentName[], say: (line: string) => void): Promise<void> {
  say(`stack:build with ${await goVersion()}, cache ${cacheRoot()}`);
  const started = performance.now();
  for (const name of names) {
    const ticker = setInterval(() => say(`  ${name}: still building (${formatSeconds((performance.now() - started) / 1000)} so far)`), 60_000);
    try {
      const outcome = await ensureBuilt(name);
      const what = `${name} ${outcome.resolved.release}`;
      say(outcome.built ? `  ${what}: built in ${formatSeconds(outcome.seconds)}` : `  ${what}: cached`);
    } finally {
      clearInterval(ticker);
    }
  }
  say(`stack:build done in ${formatSeconds((performance.now() - started) / 1000)}`);
}

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((name) => !isComponentName(name));
  if (unknown.length > 0) {
    process.stderr.write(`stack:build: unknown component ${unknown.join(', ')} (known: ${COMPONENT_NAMES.join(', ')})\n`);
    return 2;
  }
  const names = argv.length > 0 ? argv.filter(isComponentName) : [...COMPONENT_NAMES];
  try {
    await buildStack(names, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (error) {
    const message = error instanceof BuildError ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`stack:build: ${message}\n`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => process.exit(code));
