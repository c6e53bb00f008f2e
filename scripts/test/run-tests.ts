/**
 * `npm test`'s runner: node's own test runner (node:test `run`, each file in its own process) over every
 * compiled test file, in two lanes side by side, several files at once in each, the longest first.
 *
 * `node --test` starts files in path order, so the few that take a minute — mostly waiting on a
 * Prometheus clock, a token's lifetime or a whole stack — would start last and finish long after the
 * rest. Started first, in a lane of their own, they overlap everything else. Most files wait on
 * processes and ports rather than compute, so more files run at once than there are cores; each uses
 * free ports and its own temporary folders.
 */
import { globSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { z } from 'zod';
import { ConfigError, loadConfig } from '@cinemetrics/kit';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';
import { FileTimings } from './file-timings.js';
import { RunTotals, type TestEvent } from './run-totals.js';

const PATTERNS = [
  'packages/*/dist/test/**/*.test.js',
  'services/*/dist/test/**/*.test.js',
  'scripts/dist/test/**/*.test.js',
  'tests/dist/**/*.test.js',
  'bench/dist/test/**/*.test.js',
];

/**
 * The files that take longest, most of it waiting on a clock — a Prometheus evaluation window, a
 * token's lifetime, an alert's promised delay — rather than computing, and whose assertions depend on
 * that timing. They run two at a time in a lane of their own beside the lane of every other file: their
 * waits are the other lane's computing time, instead of holding its places while cores idle. The other
 * lane runs at a lower priority (computing-lane-priority.ts), so their half-second scrapes, token
 * deadlines and alert delays keep their timing.
 */
export const WAITING_ON_CLOCKS = [
  'packages/slo/dist/test/live.test.js',
  'tests/dist/resilience/oauth.test.js',
  'tests/dist/stack/outages.test.js',
  'tests/dist/security/tokens.test.js',
];
const WAITING_LANE_CONCURRENCY = 2;

/** Preloaded into the computing lane's files: it lowers their scheduling priority. */
export const COMPUTING_LANE_PRELOAD = require.resolve('./computing-lane-priority.js');

/**
 * The other lane's longest files, longest first; every other file follows in path order. The lint
 * computes throughout, so it comes first; after it, files that mostly wait (on a stack) alternate with
 * files that mostly compute (the npm start ones), and the whole stacks come one after another, so
 * their start-ups do not all compete at once. The last ones, of 10–20 s each, would otherwise come
 * late in path order and run on alone at the end.
 */
export const LONGEST_FIRST = [
  'scripts/dist/test/eslint.test.js',
  'scripts/dist/test/stack.test.js',
  'scripts/dist/test/start.test.js',
  'tests/dist/stack/pipeline.test.js',
  'scripts/dist/test/start-data.test.js',
  'tests/dist/dashboards/queries.test.js',
  'scripts/dist/test/start-resilience.test.js',
  'packages/slo/dist/test/promtool.test.js',
  'services/auth/dist/test/tokens.process.test.js',
  'tests/dist/security/hostile-input.test.js',
  'tests/dist/stack/configs.test.js',
  'tests/dist/telemetry/prometheus.test.js',
  'tests/dist/telemetry/configuration.test.js',
  'tests/dist/telemetry/pipeline.test.js',
];

const envSchema = z.object({
  /**
   * Files run at once in the lane of files that compute. Four keep two otherwise idle cores busy; on a
   * machine that other work shares, fewer leave the processes under test less starved (their requests
   * have deadlines of a second).
   */
  CINEMETRICS_TEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
});
const TEST_TIMEOUT_MS = 300_000;
const SLOWEST_FILES_SHOWN = 12;

export interface Lanes {
  /** WAITING_ON_CLOCKS, in that order. */
  waiting: string[];
  /** Every other compiled test file: LONGEST_FIRST, then the rest in path order. */
  computing: string[];
}

/** Every compiled test file, relative to the repository, in its lane and in the order it starts there. */
export function testLanes(root = REPOSITORY_ROOT): Lanes {
  const found = [...new Set(PATTERNS.flatMap((pattern) => globSync(pattern, { cwd: root })))].sort();
  const listed = [...WAITING_ON_CLOCKS, ...LONGEST_FIRST];
  const missing = listed.filter((file) => !found.includes(file));
  if (missing.length > 0) throw new Error(`WAITING_ON_CLOCKS or LONGEST_FIRST names files that do not exist (build first, or update the list): ${missing.join(', ')}`);
  return { waiting: WAITING_ON_CLOCKS, computing: [...LONGEST_FIRST, ...found.filter((file) => !listed.includes(file))] };
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
  const lanes = testLanes();
  const timings = new FileTimings(REPOSITORY_ROOT);
  const totals = new RunTotals();
  const reports = [
    { files: lanes.waiting, concurrency: WAITING_LANE_CONCURRENCY, execArgv: [] },
    { files: lanes.computing, concurrency, execArgv: ['--require', COMPUTING_LANE_PRELOAD] },
  ].map(({ files, concurrency: lane, execArgv }) => {
    const stream = run({
      files: files.map((file) => path.join(REPOSITORY_ROOT, file)),
      cwd: REPOSITORY_ROOT,
      concurrency: lane,
      execArgv,
      timeout: TEST_TIMEOUT_MS,
    });
    stream.on('test:fail', () => {
      process.exitCode = 1;
    });
    stream.on('test:dequeue', (event) => timings.seen(event.file));
    stream.on('test:complete', (event) => timings.seen(event.file));
    const report = stream.filter((event: TestEvent) => !totals.took(event)).compose(spec);
    report.pipe(process.stdout, { end: false });
    return finished(report);
  });
  void Promise.all(reports).then(() => process.stdout.write(`${totals.summary()}${timings.summary(SLOWEST_FILES_SHOWN)}`));
}

if (require.main === module) main();
