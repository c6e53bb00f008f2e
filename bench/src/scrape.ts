/**
 * bench/scrape: how long movie's `/metrics` takes to serve, and how long it holds the event loop, with
 * the series a busy service has: every route answered with every status class it can give, and every
 * downstream peer (metadata, rating, auth) called, failing as well as succeeding.
 *
 *   npm run bench:scrape [-- --scrapes 200 --interval-ms 250 --rate 50 --minutes 10 --node-args=--max-semi-space-size=4 --pin]
 *
 * Movie (telemetry all on, exporting to a sink that drops what it gets) runs in front of metadata and
 * rating on the seeded MariaDB, with bench/src/loop-delay-probe.ts preloaded: node's event-loop delay
 * histogram at 1 ms resolution, readable over a port of its own. Each measured scrape is: reset the
 * histogram, GET /metrics on the admin port (timed from the request to the body's last byte, by a
 * lean client on a connection of its own; the probe also times movie's own share of it), read the
 * histogram's maximum. Between scrapes a control interval of the same length with no scrape is read the
 * same way, so what a scrape adds is seen against the loop's own noise under the same background load
 * (open loop, `--rate` requests per second of GET /movies/{id} over all ids). The probe also reads how
 * long movie's main thread waited for a CPU, so what the scheduler adds on a machine whose cores are
 * shared with the rest of the world is seen apart from what the scrape costs. `--pin` gives movie a
 * core of its own, as a deployment with a CPU per service would: movie on the second CPU, everything
 * else (this process, MariaDB, metadata, rating) on the first (`taskset`).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { Pool } from 'undici';
import { eventually, freePort } from '@cinemetrics/testing';
import { idPicker, startFanoutWorld, telemetryConfigs, type BenchService, type TelemetryConfig } from './fanout-world.js';
import { runBench } from './lifetime.js';
import { flagOption, nodeArgsOption, numberOption, readCommandLine } from './options.js';
import { startOtlpSink } from './otlp-sink.js';
import { quantile } from './spread.js';
import { steadyLoad } from './steady-load.js';

const {
  scrapes,
  'interval-ms': intervalMs,
  rate,
  minutes,
  'node-args': nodeArgs,
  pin,
} = readCommandLine({
  scrapes: numberOption(200, { min: 10, max: 100_000 }),
  'interval-ms': numberOption(250, { min: 10, max: 60_000 }),
  rate: numberOption(50, { min: 1, max: 10_000 }),
  minutes: numberOption(10, { min: 1, max: 600 }),
  /** Node options for movie, the service scraped (e.g. a young-generation size, to see what its collections cost a scrape). */
  'node-args': nodeArgsOption(),
  pin: flagOption(),
});

/** Binds every thread of a process, and the threads and processes it starts later, to one CPU. */
function pinTo(cpu: number, pid: number): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(pid)], { stdio: 'ignore' });
}

const SERVE_TARGET_MS = 5;
const LOOP_TARGET_MS = 2;

async function get(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** Requests that give every status class and route movie can answer, and none that would be rate limited. */
async function driveEveryRoute(movie: BenchService, seconds: number): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  const count = (status: number): void => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  };
  const cold = idPicker('cold');
  const kinds: (() => Promise<number>)[] = [
    () => get(`${movie.url}${cold()}`),
    () => get(`${movie.url}/movies/tt9999999`),
    () => get(`${movie.url}/movies/${'x'.repeat(65)}`),
    () => get(`${movie.url}/movies/tt0000001`, { method: 'DELETE' }),
    () => get(`${movie.url}/no/such/route`),
    () => get(`${movie.url}/movies/tt0000001`, { headers: { authorization: 'Bearer not-a-token' } }),
    () => get(`${movie.url}/.well-known/health`),
  ];
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i += 1) {
    count(await (kinds[i % kinds.length] as () => Promise<number>)());
  }
  return statuses;
}

interface ProbeReading {
  /** The loop's worst lateness in the interval. */
  maxMs: number;
  /** The longest garbage-collection pause in the interval. */
  gcMs: number;
  /** How long movie took over the interval's scrape, from its headers to its last byte handed to the socket. */
  scrapeServedMs: number;
  /** How long movie's main thread waited for a CPU in the interval while it had work. */
  waitedForCpuMs: number;
}

interface Probe {
  reset(): Promise<void>;
  read(): Promise<ProbeReading>;
}

function probeAt(port: number): Probe {
  const base = `http://127.0.0.1:${port}`;
  return {
    reset: async () => void (await get(`${base}/reset`)),
    read: async () => (await (await fetch(`${base}/read`)).json()) as ProbeReading,
  };
}

runBench('bench:scrape', minutes * 60, async (lifetime) => {
  if (pin) {
    if (availableParallelism() < 2) throw new Error('--pin needs two CPUs: movie on one, everything else on the other');
    pinTo(0, process.pid);
  }
  const world = await startFanoutWorld(lifetime, { stack: false });
  const sink = await startOtlpSink();
  lifetime.onStop(() => sink.close());
  const allOn = telemetryConfigs(sink.url).find((config) => config.name === 'all on 100%') as TelemetryConfig;
  const start = (service: 'metadata' | 'rating', ports?: { port: number; adminPort: number }) => world.startService(service, allOn, {}, ports ? { ports } : {});
  let metadata = await start('metadata');
  let rating = await start('rating');
  const probePort = await freePort();
  const movie = await world.startService(
    'movie',
    allOn,
    world.movieEnv(metadata, rating),
    { nodeArgs: [...nodeArgs, '--require', path.join(__dirname, 'loop-delay-probe.js')], env: { LOOP_PROBE_PORT: String(probePort) } },
  );

  if (pin) pinTo(1, movie.process.pid);

  const statuses: Record<string, number> = {};
  const drive = async (seconds: number): Promise<void> => {
    for (const [status, count] of Object.entries(await driveEveryRoute(movie, seconds))) statuses[status] = (statuses[status] ?? 0) + count;
  };
  process.stderr.write('driving every route and status class…\n');
  await drive(5);
  process.stderr.write('rating down: degraded answers, failed calls to rating…\n');
  await rating.process.stop();
  await drive(3);
  rating = await start('rating', { port: rating.port, adminPort: rating.adminPort });
  process.stderr.write('metadata down: 5xx answers, failed calls to metadata…\n');
  await metadata.process.stop();
  await drive(3);
  metadata = await start('metadata', { port: metadata.port, adminPort: metadata.adminPort });
  // The breakers opened while their peers were down: measured load starts once movie answers again.
  await eventually(
    'movie answering 200 ten times in a row after its peers came back',
    async () => {
      for (let i = 0; i < 10; i += 1) if ((await get(`${movie.url}${idPicker('cold')()}`)) !== 200) return false;
      return true;
    },
    60_000,
  );
  await drive(2);

  const exposition = await (await fetch(`${movie.adminUrl}/metrics`)).text();
  const series = exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  const families = exposition.split('\n').filter((line) => line.startsWith('# TYPE')).length;

  const probe = probeAt(probePort);
  const cold = idPicker('cold');
  const background = steadyLoad(movie.url, cold, rate, Math.ceil((scrapes * 2 * (intervalMs + 50)) / 1000) + 5);
  // A lean client with a connection of its own, as a Prometheus server's: fetch's own work per
  // response would count as serve time.
  const scraper = new Pool(movie.adminUrl, { connections: 1 });
  lifetime.onStop(() => scraper.close());
  const scrape = async (): Promise<void> => {
    const response = await scraper.request({ method: 'GET', path: '/metrics' });
    await response.body.arrayBuffer();
    if (response.statusCode !== 200) throw new Error(`scrape answered ${response.statusCode}`);
  };
  const serveMs: number[] = [];
  const duringScrapes: ProbeReading[] = [];
  const controls: ProbeReading[] = [];
  await sleep(1000);
  for (let i = 0; i < scrapes; i += 1) {
    await probe.reset();
    const started = performance.now();
    await scrape();
    const took = performance.now() - started;
    duringScrapes.push(await probe.read());
    serveMs.push(took);
    await sleep(intervalMs / 2);
    await probe.reset();
    await sleep(Math.max(1, Math.round(took)));
    controls.push(await probe.read());
    await sleep(intervalMs / 2);
  }
  const { failures } = await background;

  const row = (name: string, values: number[]) =>
    `${name.padEnd(38)}${[0.5, 0.9, 0.99].map((q) => quantile(values, q).toFixed(2).padStart(8)).join('')}${Math.max(...values).toFixed(2).padStart(8)}`;
  console.log(`\nbench/scrape: movie's /metrics, ${series} series in ${families} families (${(exposition.length / 1024).toFixed(0)} KiB), after driving statuses ${JSON.stringify(statuses)}`);
  console.log(
    `${scrapes} scrapes ${intervalMs} ms apart under ${rate} req/s of GET /movies/{id}${nodeArgs.length > 0 ? `; movie's node options: ${nodeArgs.join(' ')}` : ''}${pin ? '; movie pinned to a CPU of its own' : ''}\n`,
  );
  console.log(`${'ms'.padEnd(38)}     p50     p90     p99     max`);
  console.log(row('serve time (request to last byte)', serveMs));
  console.log(row('  of it in movie (headers to last byte)', duringScrapes.map((reading) => reading.scrapeServedMs)));
  console.log(row('movie waiting for a CPU within a scrape', duringScrapes.map((reading) => reading.waitedForCpuMs)));
  console.log(row('movie waiting for a CPU within a control', controls.map((reading) => reading.waitedForCpuMs)));
  const scrapeLoopMs = duringScrapes.map((reading) => reading.maxMs);
  console.log(row('event-loop delay, max within a scrape', scrapeLoopMs));
  console.log(row('event-loop delay, max within a control', controls.map((reading) => reading.maxMs)));
  console.log(row('longest GC pause within a scrape', duringScrapes.map((reading) => reading.gcMs)));
  console.log(row('longest GC pause within a control', controls.map((reading) => reading.gcMs)));
  const withoutGc = duringScrapes.filter((reading) => reading.gcMs < 1).map((reading) => reading.maxMs);
  console.log(row(`loop delay, scrapes without a GC pause ≥ 1 ms (${withoutGc.length})`, withoutGc));
  // What the scrape costs the service itself, where neither a collection nor the scheduler held it.
  const undisturbed = duringScrapes.filter((reading) => reading.gcMs < 1 && reading.waitedForCpuMs < 0.5);
  console.log(row(`in movie, scrapes without either, nor a CPU wait ≥ 0.5 ms (${undisturbed.length})`, undisturbed.map((reading) => reading.scrapeServedMs)));
  console.log(row(`loop delay, the same scrapes`, undisturbed.map((reading) => reading.maxMs)));
  console.log(`\ntargets: serve p99 < ${SERVE_TARGET_MS} ms: ${quantile(serveMs, 0.99) < SERVE_TARGET_MS ? 'met' : 'missed'}; loop delay p99 during a scrape < ${LOOP_TARGET_MS} ms: ${quantile(scrapeLoopMs, 0.99) < LOOP_TARGET_MS ? 'met' : 'missed'}`);
  console.log(`background requests failed: ${failures}`);
});
