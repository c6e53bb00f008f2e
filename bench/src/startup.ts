/**
 * bench/startup: how long a process takes from its spawn to its first ready answer, and the CPU it spends
 * getting there — each service as `npm start` runs it (the telemetry preload, in-memory store, demo
 * accounts not loaded), bare Koa as the baseline of the same run, and `npm start` itself from the
 * command to its "ready" banner (demo data loaded into the empty in-memory stores). Arms alternate
 * round after round, so a slow phase of the machine hits all of them.
 *
 *   npm run bench:startup [-- --rounds 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort, freePortBase, REPOSITORY_ROOT, serviceMain, TELEMETRY_PRELOAD, type ServiceName } from '@cinemetrics/testing';
import { startBenchIdentity } from './bench-identity.js';
import { cpuSeconds } from './proc-stats.js';
import { numberOption, readCommandLine } from './options.js';
import { quartiles } from './spread.js';

const { rounds } = readCommandLine({ rounds: numberOption(5, { min: 1, max: 100 }) });

const POLL_MS = 5;
const GIVE_UP_MS = 60_000;
const BANNER = 'Press Ctrl+C to stop.';

interface Measurement {
  ms: number;
  cpuSeconds: number;
}

interface Arm {
  name: string;
  measure(): Promise<Measurement>;
}

/** This process's environment without a database: every process here keeps its data in memory. */
const { MYSQL_URL: _database, ...IN_MEMORY_ENV } = process.env;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Spawns `args` and waits for `readyUrl` to answer 200; the CPU is read from /proc while it still runs. */
async function timeToReady(args: string[], env: Record<string, string | undefined>, readyUrl: string): Promise<Measurement> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...IN_MEMORY_ENV, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    while (!(await answers(readyUrl))) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode} before it was ready`);
      if (performance.now() - started > GIVE_UP_MS) throw new Error(`${readyUrl} not ready within ${GIVE_UP_MS} ms`);
      await delay(POLL_MS);
    }
    return { ms: performance.now() - started, cpuSeconds: cpuSeconds(child.pid as number) };
  } finally {
    await stop(child);
  }
}

/** `npm start` from the command to its banner; the CPU is npm's, the start script's and the services' together. */
async function npmStartToBanner(): Promise<Measurement> {
  // npm start's layout: the services on base+1..4, their admin ports on base+11..14.
  const base = await freePortBase([1, 2, 3, 4, 11, 12, 13, 14]);
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPOSITORY_ROOT,
    env: { ...IN_MEMORY_ENV, CINEMETRICS_PORT_BASE: String(base), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    while (!output.includes(BANNER)) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode} before its banner`);
      if (performance.now() - started > GIVE_UP_MS) throw new Error(`npm start printed no banner within ${GIVE_UP_MS} ms`);
      await delay(POLL_MS);
    }
    const ms = performance.now() - started;
    const exited = once(child, 'exit');
    process.kill(-(child.pid as number), 'SIGINT');
    await exited;
    // Its CPU is spread over npm, the start script and four services: only the time is reported.
    return { ms, cpuSeconds: Number.NaN };
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  }
}

async function run(): Promise<void> {
  const identity = await startBenchIdentity();
  const ports = async () => ({ port: await freePort(), adminPort: await freePort() });
  const serviceArm = (service: ServiceName, extraEnv: () => Record<string, string>): Arm => ({
    name: service,
    measure: async () => {
      const { port, adminPort } = await ports();
      const env = { ...identity.env, ...extraEnv(), PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'warn' };
      return timeToReady(['--require', TELEMETRY_PRELOAD, serviceMain(service)], env, `http://127.0.0.1:${port}/.well-known/health`);
    },
  });
  // movie is ready once metadata is: one of each runs for the whole bench, unmeasured.
  const dependency = async (service: ServiceName) => {
    const { port, adminPort } = await ports();
    const child = spawn(process.execPath, ['--require', TELEMETRY_PRELOAD, serviceMain(service)], {
      env: { ...IN_MEMORY_ENV, ...identity.env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    while (!(await answers(`${url}/.well-known/health`))) await delay(50);
    return { child, url };
  };
  const metadata = await dependency('metadata');
  const rating = await dependency('rating');
  const dependencies = [metadata, rating];
  const arms: Arm[] = [
    {
      name: 'bare koa (baseline)',
      measure: async () => {
        const port = await freePort();
        return timeToReady([path.join(REPOSITORY_ROOT, 'bench/dist/src/bare-koa.js')], { PORT: String(port) }, `http://127.0.0.1:${port}/.well-known/health`);
      },
    },
    serviceArm('metadata', () => ({})),
    serviceArm('rating', () => ({})),
    serviceArm('auth', () => ({})),
    serviceArm('movie', () => ({ METADATA_URL: metadata.url, RATING_URL: rating.url })),
    { name: 'npm start → banner', measure: npmStartToBanner },
  ];
  const results = new Map<string, Measurement[]>(arms.map((arm) => [arm.name, []]));
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < arms.length; i += 1) {
        const arm = arms[(i + round) % arms.length] as Arm;
        results.get(arm.name)?.push(await arm.measure());
      }
      process.stderr.write(`round ${round + 1} of ${rounds} done\n`);
    }
  } finally {
    await Promise.all(dependencies.map(({ child }) => stop(child)));
    await identity.stop();
  }
  const baseline = results.get(arms[0]?.name ?? '') ?? [];
  const fmt = (values: number[], digits: number) => quartiles(values).map((value) => value.toFixed(digits).padStart(8)).join('');
  console.log(`\nbench/startup: ${rounds} rounds, spawn → first 200 from /.well-known/health (npm start: → banner)\n`);
  console.log(`${'process'.padEnd(22)}${'ms: q1  median      q3'.padStart(24)}  ${'× bare koa (median)'.padStart(20)}  ${'CPU s: q1  median      q3'.padStart(26)}`);
  for (const arm of arms) {
    const measured = results.get(arm.name) ?? [];
    const ms = measured.map((m) => m.ms);
    const ratios = measured.map((m, round) => m.ms / (baseline[round]?.ms ?? Number.NaN));
    const cpu = measured.map((m) => m.cpuSeconds).filter((value) => !Number.isNaN(value));
    console.log(`${arm.name.padEnd(22)}${fmt(ms, 0)}  ${quartiles(ratios)[1].toFixed(1).padStart(20)}  ${cpu.length > 0 ? fmt(cpu, 2) : '       -'.padStart(26)}`);
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
