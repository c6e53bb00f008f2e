/**
 * `npm test`'s runner: node's own test runner (node:test `run`, each file in its own process) over every
 * compiled test file, several files at once, the longest first.
 *
 * `node --test` starts files in path order, so the few that take a minute — mostly waiting on a
 * Prometheus clock, a token's lifetime or a whole stack — would start last and finish long after the
 * rest. Started first, they overlap everything else. Most files wait on processes and ports rather than
 * compute, so more files run at once than there are cores; each uses free ports and its own temporary
 * folders.
 */
import { globSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { z } from 'zod';
import { ConfigError, loadConfig } from '@cinemetrics/kit';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';
import { FileTimings } from './file-timings.js';

const PATTERNS = [
  'packages/*/dist/test/**/*.test.js',
  'services/*/dist/test/**/*.test.js',
  'scripts/dist/test/**/*.test.js',
  'tests/dist/**/*.test.js',
  'bench/dist/test/**/*.test.js',
];

/**
 * Files that take longest, longest first; every other file follows in path order. The first two spend
 * over a minute mostly waiting on a clock (a Prometheus evaluation window, a token's lifetime), so the
 * third is the lint, which computes throughout and has no deadline to miss: it keeps the cores busy
 * while they wait. After it, files that mostly wait (on a stack, a token) alternate with files that
 * mostly compute (the npm start ones), and the whole stacks come one after another, so their start-ups
 * do not all compete at once.
 */
export const LONGEST_FIRST = [
  'packages/slo/dist/test/live.test.js',
  'tests/dist/resilience/oauth.test.js',
  'scripts/dist/test/eslint.test.js',
  'scripts/dist/test/stack.test.js',
  'scripts/dist/test/start.test.js',
  'tests/dist/stack/outages.test.js',
  'scripts/dist/test/start-data.test.js',
  'tests/dist/security/tokens.test.js',
  'scripts/dist/test/start-resilience.test.js',
  'tests/dist/stack/pipeline.test.js',
  'tests/dist/dashboards/queries.test.js',
  'packages/slo/dist/test/promtool.test.js',
];

const envSchema = z.object({
  /**
   * Files run at once. Four keep two otherwise idle cores busy; on a machine that other work shares, fewer
   * leave the processes under test less starved (their requests have deadlines of a second).
   */
  CINEMETRICS_TEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
});
const TEST_TIMEOUT_MS = 300_000;
const SLOWEST_FILES_SHOWN = 12;

/** Every compiled test file, relative to the repository, in the order they start. */
export function testFiles(root = REPOSITORY_ROOT): string[] {
  const found = [...new Set(PATTERNS.flatMap((pattern) => globSync(pattern, { cwd: root })))].sort();
  const missing = LONGEST_FIRST.filter((file) => !found.includes(file));
  if (missing.length > 0) throw new Error(`LONGEST_FIRST names files that do not exist (build first, or update the list): ${missing.join(', ')}`);
  return [...LONGEST_FIRST, ...found.filter((file) => !LONGEST_FIRST.includes(file))];
}

function main(): void {
  let concurrency: number;
  try {
    concurrency = loadConfig(envSchema).CINEMETRICS_TEST_CONCURRENCY;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`npm test: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  // Every Node process of the run (test files, services, npm start, eslint) inherits it: V8 reuses the
  // compiled code of a module whose source is unchanged instead of compiling it again in each process.
  // It lives in the user's own node_modules, not a shared temporary folder someone else could write to.
  process.env['NODE_COMPILE_CACHE'] ??= path.join(REPOSITORY_ROOT, 'node_modules', '.cache', 'node-compile-cache');
  // Auth's hashing at its production cost is tested by auth's own tests; the rest of the suite creates and
  // signs in users and clients by the hundred, where the default scrypt cost only burns CPU.
  process.env['AUTH_SCRYPT_N'] ??= '1024';
  const stream = run({
    files: testFiles().map((file) => path.join(REPOSITORY_ROOT, file)),
    cwd: REPOSITORY_ROOT,
    concurrency,
    timeout: TEST_TIMEOUT_MS,
  });
  stream.on('test:fail', () => {
    process.exitCode = 1;
  });
  const timings = new FileTimings(REPOSITORY_ROOT);
  stream.on('test:dequeue', (event) => timings.seen(event.file));
  stream.on('test:complete', (event) => timings.seen(event.file));
  const report = stream.compose(spec);
  report.pipe(process.stdout, { end: false });
  report.once('end', () => process.stdout.write(timings.summary(SLOWEST_FILES_SHOWN)));
}

if (require.main === module) main();
