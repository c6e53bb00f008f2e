/**
 * bench/client-calls: the cost of the kit's downstream client on the movie fan-out's path — N
 * sequential GETs to a local Koa app (bench/bare-koa), through this tree's kit client, through a
 * bare undici pool (the floor), and optionally through a baseline kit built from another revision.
 * Modes alternate round after round in a rotating order, each run in a fresh process with a warm-up, so a slow phase of
 * the machine hits them alike; the report is medians over rounds and their ratios, for throughput
 * and for the client process's CPU time per call (the steadier figure).
 *
 *   npm run bench:client [-- --rounds 5 --calls 5000 --warmup 2000 --baseline /path/to/kit/dist/src/index.js]
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPOSITORY_ROOT, startProcess } from '@cinemetrics/testing';
import { numberOption, readCommandLine, textOption } from './options.js';
import { median, quartiles } from './spread.js';

const run = promisify(execFile);

const options = readCommandLine({
  rounds: numberOption(5, { min: 1, max: 100 }),
  calls: numberOption(5000, { min: 1, max: 10_000_000 }),
  warmup: numberOption(2000, { min: 0, max: 10_000_000 }),
  baseline: textOption(),
});

interface Mode {
  name: string;
  module: string;
}

interface Measurement {
  callsPerSecond: number;
  cpuMicrosPerCall: number;
}

async function measure(mode: Mode, url: string): Promise<Measurement> {
  const { stdout } = await run(process.execPath, [path.join(REPOSITORY_ROOT, 'bench/dist/src/client-calls-worker.js')], {
    env: { ...process.env, KIT_MODULE: mode.module, TARGET_URL: url, CALLS: String(options.calls), WARMUP: String(options.warmup) },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measurement;
}

async function main(): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startProcess({
    name: 'bare-koa',
    args: [path.join(REPOSITORY_ROOT, 'bench/dist/src/bare-koa.js')],
    env: { PORT: String(port) },
    readyUrl: `${url}/.well-known/health`,
    stdout: 'drain',
  });
  const modes: Mode[] = [
    { name: 'undici pool', module: 'undici' },
    { name: 'kit client', module: path.join(REPOSITORY_ROOT, 'packages/kit/dist/src/index.js') },
    ...(options.baseline === undefined ? [] : [{ name: 'baseline kit client', module: path.resolve(options.baseline) }]),
  ];
  const results = new Map<string, Measurement[]>(modes.map((mode) => [mode.name, []]));
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      // Each round starts with another mode, so no mode always follows the same one.
      for (const mode of [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)]) {
        const measured = await measure(mode, url);
        results.get(mode.name)?.push(measured);
        console.log(`round ${round} ${mode.name}: ${Math.round(measured.callsPerSecond)} calls/s, ${measured.cpuMicrosPerCall.toFixed(1)} µs CPU per call`);
      }
    }
  } finally {
    await server.stop();
  }
  const of = (name: string, figure: keyof Measurement) => (results.get(name) ?? []).map((measured) => measured[figure]);
  console.log(`\n${options.calls} sequential calls per run, ${options.rounds} rounds; medians [quartiles]`);
  for (const [figure, unit] of [['callsPerSecond', 'calls/s'], ['cpuMicrosPerCall', 'µs CPU per call']] as const) {
    const floor = median(of('undici pool', figure));
    console.log(`${unit}, and the ratio to the undici pool:`);
    for (const mode of modes) {
      const [q1, q2, q3] = quartiles(of(mode.name, figure));
      console.log(`  ${mode.name.padEnd(20)} ${q2.toFixed(1)} [${q1.toFixed(1)}–${q3.toFixed(1)}]  ×${(q2 / floor).toFixed(3)}`);
    }
    if (options.baseline !== undefined) {
      console.log(`  kit client / baseline kit client: ×${(median(of('kit client', figure)) / median(of('baseline kit client', figure))).toFixed(3)}`);
    }
  }
}

void main();
