import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';
import { schedule } from '../src/bench-plan.js';

const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a compiled bench with `args`; each of the cases below ends before the bench starts anything. */
async function bench(script: string, args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: REPOSITORY_ROOT, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Every `npm run bench…` command's script, from package.json (the Go benchmark aside: `go test` reads its flags). */
function benchScripts(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const found = Object.entries(scripts)
    .filter(([name, command]) => (name === 'bench' || name.startsWith('bench:')) && !command.includes('go test'))
    .map(([, command]) => /node (bench\/dist\/src\/\S+\.js)/.exec(command)?.[1]);
  assert.ok(found.every((script) => script !== undefined), 'every bench command runs a compiled bench script');
  return [...new Set(found)];
}

test('every bench lists its options with --help, with the default and rule of each number and choice', async () => {
  const scripts = benchScripts();
  assert.ok(scripts.length >= 15, `found ${scripts.length} bench scripts`);
  await Promise.all(
    scripts.map(async (script) => {
      const ran = await bench(script, ['--help']);
      assert.equal(ran.code, 0, `${script} --help: ${ran.stderr}`);
      assert.match(ran.stdout, new RegExp(`^usage: node ${script.replaceAll('.', '\\.')} \\[options\\]`), script);
      assert.match(ran.stdout, /\n {2}--help\n/, script);
      assert.match(ran.stdout, new RegExp(`the comment that opens bench/src/${path.basename(script, '.js')}\\.ts`), script);
    }),
  );
  const overhead = await bench('bench/dist/src/overhead.js', ['--help']);
  assert.match(overhead.stdout, /--rounds <value> +default 6; a whole number in 1–100\n/);
  assert.match(overhead.stdout, /--processes <value> +default 2; a whole number in 1–8\n/);
  assert.match(overhead.stdout, /--phase <value> +default both; one of both, saturation, latency, profile\n/);
});

test('a bench refuses an unknown option or a bad value in one line naming it, with exit code 2', async () => {
  await Promise.all(
    benchScripts().map(async (script) => {
      const ran = await bench(script, ['--no-such-option']);
      assert.equal(ran.code, 2, `${script}: ${ran.stderr}`);
      assert.equal(ran.stderr, `${script}: Unknown option '--no-such-option' (--help lists the options)\n`);
    }),
  );
  const badNumber = await bench('bench/dist/src/fanout.js', ['--rounds', 'ten']);
  assert.deepEqual([badNumber.code, badNumber.stderr], [2, 'bench/dist/src/fanout.js: --rounds: "ten" is not a whole number (--help lists the options)\n']);
  const badChoice = await bench('bench/dist/src/overhead.js', ['--phase', 'fast']);
  assert.deepEqual([badChoice.code, badChoice.stderr], [2, 'bench/dist/src/overhead.js: --phase: "fast" is not one of both, saturation, latency, profile (--help lists the options)\n']);
  // --help reads the values given with it: a bad one is refused, not listed past.
  const badWithHelp = await bench('bench/dist/src/startup.js', ['--rounds', '0', '--help']);
  assert.deepEqual([badWithHelp.code, badWithHelp.stderr], [2, 'bench/dist/src/startup.js: --rounds: 0 is outside 1–100 (--help lists the options)\n']);
  // Settings checked against each other: a bound too short for every bench, a settling time past the soak's end.
  const tooShort = await bench('bench/dist/src/all.js', ['--minutes', '10']);
  assert.deepEqual([tooShort.code, tooShort.stderr], [2, 'bench/dist/src/all.js: --minutes: 10 is below 30, the fewest a run of every bench fits in (--only takes from 5) (--help lists the options)\n']);
  assert.equal((await bench('bench/dist/src/all.js', ['--minutes', '10', '--only', 'scrape', '--help'])).code, 0);
  const settlesPastEnd = await bench('bench/dist/src/soak.js', ['--minutes', '2', '--settle', '3']);
  assert.deepEqual([settlesPastEnd.code, settlesPastEnd.stderr], [2, 'bench/dist/src/soak.js: --settle: 3 is outside 0–2 (--minutes) (--help lists the options)\n']);
});

test('npm run bench gives every bench options it accepts', async () => {
  for (const planned of schedule(45, [])) {
    const ran = await bench(`bench/dist/src/${planned.script}`, [...planned.args, '--help']);
    assert.equal(ran.code, 0, `${planned.name} ${planned.args.join(' ')}: ${ran.stderr}`);
  }
});

test('the redaction benchmark measures the processor release the collector is built from', () => {
  const required = (goMod: string) => /processor\/redactionprocessor (v\S+)/.exec(readFileSync(path.join(REPOSITORY_ROOT, goMod), 'utf8'))?.[1];
  const built = required('otel-collector/distribution/go.mod');
  assert.ok(built !== undefined, 'the collector distribution builds the redaction processor');
  assert.equal(required('bench/collector-redaction/go.mod'), built);
});
