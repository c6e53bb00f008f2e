import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { getPriority } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeTempDir } from '@cinemetrics/testing';
import { FileTimings } from './file-timings.js';
import { RunTotals, type TestEvent } from './run-totals.js';
import { COMPUTING_LANE_PRELOAD, LONGEST_FIRST, testLanes, WAITING_ON_CLOCKS } from './run-tests.js';

test('npm test runs every compiled test file once, in one of two lanes, the longest first in each', () => {
  const { waiting, computing } = testLanes();
  assert.deepEqual(waiting, WAITING_ON_CLOCKS);
  assert.deepEqual(computing.slice(0, LONGEST_FIRST.length), LONGEST_FIRST);
  const files = [...waiting, ...computing];
  assert.equal(new Set(files).size, files.length, 'no file twice');
  for (const expected of ['packages/kit/dist/test/config.test.js', 'services/movie/dist/test/movie.http.test.js', 'scripts/dist/test/run-tests.test.js', 'tests/dist/stack/outages.test.js', 'bench/dist/test/spread.test.js']) {
    assert.ok(files.includes(expected), expected);
  }
  assert.ok(files.every((file) => file.endsWith('.test.js') && file.includes('dist/')), 'compiled test files only');
});

test('a listed file that no longer exists is named, so the lists cannot go stale silently', async () => {
  const dir = await makeTempDir('cinemetrics-run-tests-');
  try {
    const [gone, ...kept] = [LONGEST_FIRST[2] ?? '', ...WAITING_ON_CLOCKS, ...LONGEST_FIRST.filter((_, index) => index !== 2)];
    for (const file of kept) {
      await mkdir(path.join(dir.path, path.dirname(file)), { recursive: true });
      await cp(__filename, path.join(dir.path, file));
    }
    assert.throws(() => testLanes(dir.path), (error: Error) => error.message.endsWith(`do not exist (build first, or update the list): ${gone}`));
  } finally {
    await dir.remove();
  }
});

test("the computing lane's files, and the processes they start, run at a lower priority (nice 10)", () => {
  // A process can only lower its own priority: under npm test this file is already at nice 10.
  const expected = String(Math.max(10, getPriority()));
  const script = "const { execFileSync } = require('node:child_process'); const os = require('node:os'); console.log(os.getPriority(), execFileSync(process.execPath, ['-p', 'require(\\'node:os\\').getPriority()']).toString().trim())";
  const result = spawnSync(process.execPath, ['--require', COMPUTING_LANE_PRELOAD, '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), `${expected} ${expected}`);
});

test('a bad CINEMETRICS_TEST_CONCURRENCY is named, exit 2, before any test runs', () => {
  for (const value of ['0', 'many', '2.5']) {
    const result = spawnSync(process.execPath, [path.join(__dirname, 'run-tests.js')], {
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, CINEMETRICS_TEST_CONCURRENCY: value },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 2, `${value}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /npm test: Invalid configuration:\n {2}- CINEMETRICS_TEST_CONCURRENCY: /);
    assert.equal(result.stdout, '', 'no test ran');
  }
});

test("the summary names the files that ran longest, from a file's first test starting to its last finishing", () => {
  let now = 0;
  const timings = new FileTimings('/repo', () => now);
  const at = (ms: number, file: string): void => {
    now = ms;
    timings.seen(file);
  };
  at(0, '/repo/a.test.js');
  at(100, '/repo/b.test.js');
  at(2_000, '/repo/a.test.js');
  at(9_100, '/repo/b.test.js');
  at(9_200, '/repo/c.test.js');
  timings.seen(undefined);
  assert.deepEqual(timings.longest(2), [
    { file: 'b.test.js', seconds: 9 },
    { file: 'a.test.js', seconds: 2 },
  ]);
  assert.match(timings.summary(1), /longest test files[^\n]*\n\s+9\.0 s {2}b\.test\.js\n$/);
});

test("both lanes' counters are summed into one summary at the end, and left out of each lane's report", () => {
  const totals = new RunTotals(0);
  const counter = (message: string, extra: Partial<TestEvent['data']> = {}): TestEvent => ({ type: 'test:diagnostic', data: { nesting: 0, message, ...extra } });
  for (const lane of [
    ['tests 14', 'suites 0', 'pass 14', 'fail 0'],
    ['tests 714', 'suites 52', 'pass 713', 'fail 1'],
  ]) {
    for (const message of [...lane, 'duration_ms 1234.5']) assert.equal(totals.took(counter(message)), true, message);
  }
  assert.equal(totals.took(counter('tests 3', { nesting: 1 })), false, "a suite's own counters stay");
  assert.equal(totals.took(counter('answers by status: 200×36')), false, "a test's own diagnostics stay");
  assert.equal(totals.took({ type: 'test:pass', data: { nesting: 0 } }), false);
  const summary = totals.summary(175_000);
  for (const line of ['ℹ tests 728', 'ℹ suites 52', 'ℹ pass 727', 'ℹ fail 1', 'ℹ duration_ms 175000']) assert.ok(summary.includes(`${line}\n`), `${line} in:${summary}`);
});
