/**
 * `npm run bench [-- --minutes 45 --only fanout,scrape]` (a full run needs at least 30 minutes): every bench, one after the other, each as a child
 * process in short settings (bench-plan.ts) with its share of the time bound; a bench still running
 * past its share gets SIGTERM (it stops what it started), SIGKILL a minute later. Exits non-zero when
 * any bench failed or was stopped.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { schedule } from './bench-plan.js';
import { numberOption, OptionError, readCommandLine, textOption } from './options.js';

const KILL_GRACE_MS = 60_000;
/** The shortest bound every bench of a full run fits in; `--only` runs may take less. */
const FULL_RUN_FEWEST_MINUTES = 30;

const plan = readCommandLine({ minutes: numberOption(45, { min: 5, max: 24 * 60 }), only: textOption() }, ({ minutes, only }) => {
  // Below this the collector's and the soak's shares are shorter than their own shortest runs, and both are stopped.
  if (only === undefined && minutes < FULL_RUN_FEWEST_MINUTES) throw new OptionError(`--minutes: ${minutes} is below ${FULL_RUN_FEWEST_MINUTES}, the fewest a run of every bench fits in (--only takes from 5)`);
  return schedule(minutes, only === undefined ? [] : only.split(',').map((name) => name.trim()));
});

async function main(): Promise<number> {
  const results: string[] = [];
  let failures = 0;
  let current: ReturnType<typeof spawn> | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      current?.kill('SIGTERM');
      process.exitCode = 130;
    });
  }
  for (const bench of plan) {
    if (process.exitCode === 130) break;
    process.stderr.write(`\n=== bench ${bench.name} (bound ${bench.seconds} s): ${bench.args.join(' ')}\n`);
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(__dirname, bench.script), ...bench.args], { stdio: 'inherit' });
    current = child;
    let stopped = false;
    const term = setTimeout(() => {
      stopped = true;
      child.kill('SIGTERM');
    }, bench.seconds * 1000);
    const kill = setTimeout(() => child.kill('SIGKILL'), bench.seconds * 1000 + KILL_GRACE_MS);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(term);
    clearTimeout(kill);
    const took = ((Date.now() - started) / 1000).toFixed(0);
    const outcome = stopped ? `stopped at its bound of ${bench.seconds} s` : code === 0 ? 'ok' : `failed (${signal ?? `exit code ${code}`})`;
    if (outcome !== 'ok') failures += 1;
    results.push(`${bench.name.padEnd(10)} ${outcome} after ${took} s`);
  }
  process.stderr.write(`\n=== npm run bench\n${results.join('\n')}\n`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(process.exitCode === 130 ? 130 : code),
  (error: unknown) => {
    process.stderr.write(`npm run bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
