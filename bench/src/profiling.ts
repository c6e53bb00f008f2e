/**
 * bench/profiling: what taking a CPU profile costs a service under load (metadata read, in-memory
 * store, GET /metadata/:id at saturation). Every arm is measured right next to a baseline window of
 * the same length (in alternating order), round after round in one run, and reported as the median of
 * those paired ratios, so drift in the machine's load cancels out as far as it can:
 *
 *   cpu profile            the baseline process while GET /debug/pprof/profile runs (100 Hz, labels: the default)
 *   cpu profile, no labels the same with labels=false (what the route/trace_id labels cost)
 *   cpu profile 1 kHz      a process with CPU_PROFILE_INTERVAL_US=1000, while profiling
 *   heap sampling off      a process with HEAP_PROFILE_INTERVAL_BYTES=0 (what boot-time heap sampling costs)
 *
 *   npm run bench:profiling [-- --rounds 6 --seconds 3 --connections 16]
 */
import autocannon from 'autocannon';
import { startService, type StartedService } from '@cinemetrics/testing';
import { cpuSeconds } from './proc-stats.js';
import { numberOption, readCommandLine } from './options.js';
import { median } from './spread.js';
import { startBenchIdentity, type BenchIdentity } from './bench-identity.js';

const { rounds, seconds, connections } = readCommandLine({
  rounds: numberOption(6, { min: 1, max: 100 }),
  seconds: numberOption(3, { min: 1, max: 120 }),
  connections: numberOption(16, { min: 1, max: 1000 }),
});

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const PATH = '/metadata/tt0113277';

interface Arm {
  name: string;
  service: string;
  /** Query of the CPU profile taken during the window; undefined: no profile. */
  profile?: string;
}

const BASELINE: Arm = { name: 'baseline', service: 'default' };
const ARMS: Arm[] = [
  { name: 'cpu profile', service: 'default', profile: '' },
  { name: 'cpu profile, no labels', service: 'default', profile: '&labels=false' },
  { name: 'cpu profile 1 kHz', service: '1khz', profile: '' },
  { name: 'heap sampling off', service: 'noheap' },
];

interface Window {
  requestsPerSecond: number;
  cpuMicrosPerRequest: number;
  p99: number;
}

async function start(identity: BenchIdentity, env: Record<string, string>): Promise<StartedService> {
  const service = await startService('metadata', { env: { ADMIN_TOKEN, LOG_LEVEL: 'info', ...identity.env, ...env } });
  const seeded = await fetch(`${service.url}${PATH}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...identity.admin },
    body: JSON.stringify({ title: 'Heat', year: 1995, director: 'Michael Mann', actors: ['Al Pacino', 'Robert De Niro'] }),
  });
  if (seeded.status >= 300) throw new Error(`seeding failed with ${seeded.status}`);
  return service;
}

function load(service: StartedService, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${service.url}${PATH}`, connections, duration: durationSeconds });
}

/** Takes one CPU profile; returns its gzipped size (the body is not decoded, only checked to be there). */
async function takeProfile(service: StartedService, profileSeconds: number, query: string): Promise<number> {
  const response = await fetch(`${service.adminUrl}/debug/pprof/profile?seconds=${profileSeconds}${query}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`profile failed with ${response.status}: ${body.toString()}`);
  return body.length;
}

async function measure(arm: Arm, service: StartedService): Promise<Window> {
  // The profile starts before the load and ends after it, so it covers the whole measured window.
  const profiling = arm.profile !== undefined ? takeProfile(service, seconds + 1, arm.profile) : Promise.resolve(0);
  if (arm.profile !== undefined) await new Promise((resolve) => setTimeout(resolve, 300));
  const cpuBefore = cpuSeconds(service.pid);
  const result = await load(service, seconds);
  const cpuAfter = cpuSeconds(service.pid);
  await profiling;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${arm.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    requestsPerSecond: result.requests.total / seconds,
    cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
    p99: result.latency.p99,
  };
}

interface Pair {
  arm: string;
  baseline: Window;
  measured: Window;
}

const fmt = (value: number, digits = 1, width = 9) => value.toFixed(digits).padStart(width);

async function run(): Promise<void> {
  const identity = await startBenchIdentity();
  const services = new Map<string, StartedService>([
    ['default', await start(identity, {})],
    ['1khz', await start(identity, { CPU_PROFILE_INTERVAL_US: '1000' })],
    ['noheap', await start(identity, { HEAP_PROFILE_INTERVAL_BYTES: '0' })],
  ]);
  const baselineService = services.get('default')!;
  try {
    for (const service of services.values()) await load(service, 2); // warm up: JIT, pools
    const pairs: Pair[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the arms and alternate which of a pair goes first, so neither side is favoured.
      for (let i = 0; i < ARMS.length; i += 1) {
        const arm = ARMS[(i + round) % ARMS.length]!;
        const service = services.get(arm.service)!;
        const baselineFirst = (round + i) % 2 === 0;
        const first = baselineFirst ? await measure(BASELINE, baselineService) : await measure(arm, service);
        const second = baselineFirst ? await measure(arm, service) : await measure(BASELINE, baselineService);
        const pair = { arm: arm.name, baseline: baselineFirst ? first : second, measured: baselineFirst ? second : first };
        pairs.push(pair);
        process.stderr.write(
          `round ${round + 1}: ${arm.name.padEnd(22)} ${fmt(pair.measured.requestsPerSecond, 0)} vs ${fmt(pair.baseline.requestsPerSecond, 0, 5)} req/s` +
            ` = ${(pair.measured.requestsPerSecond / pair.baseline.requestsPerSecond).toFixed(3)}\n`,
        );
      }
    }
    console.log(
      `\nbench/profiling — ${rounds} rounds; each arm paired with a baseline window; ${seconds} s windows, ${connections} connections, GET /metadata/:id, node ${process.version}\n`,
    );
    console.log('arm                      req/s  baseline  ×baseline (min–max)     CPU µs/req  ×baseline   p99 ms  baseline p99');
    for (const arm of ARMS) {
      const of = pairs.filter((pair) => pair.arm === arm.name);
      const rps = of.map((pair) => pair.measured.requestsPerSecond / pair.baseline.requestsPerSecond);
      const cpu = of.map((pair) => pair.measured.cpuMicrosPerRequest / pair.baseline.cpuMicrosPerRequest);
      console.log(
        `${arm.name.padEnd(22)}${fmt(median(of.map((p) => p.measured.requestsPerSecond)), 0)}${fmt(median(of.map((p) => p.baseline.requestsPerSecond)), 0, 10)}` +
          `${fmt(median(rps), 3, 11)} (${Math.min(...rps).toFixed(3)}–${Math.max(...rps).toFixed(3)})` +
          `${fmt(median(of.map((p) => p.measured.cpuMicrosPerRequest)), 1, 13)}${fmt(median(cpu), 3, 11)}` +
          `${fmt(median(of.map((p) => p.measured.p99)), 0)}${fmt(median(of.map((p) => p.baseline.p99)), 0, 14)}`,
      );
    }
    const profiled = pairs.filter((pair) => pair.arm === 'cpu profile');
    const ratio = median(profiled.map((pair) => pair.measured.requestsPerSecond / pair.baseline.requestsPerSecond));
    console.log(`\nThroughput while a CPU profile is taken (defaults): ${(ratio * 100).toFixed(1)}% of without (target ≥ 90%): ${ratio >= 0.9 ? 'met' : 'NOT met'}`);
  } finally {
    await Promise.all([...services.values()].map((service) => service.stop()));
    await identity.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
