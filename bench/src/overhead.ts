/**
 * bench/overhead: the cost of the kit's telemetry on one endpoint (metadata read, in-memory store).
 * Modes run alternately, several rounds, in one run; every figure is reported as a ratio to bare Koa
 * measured in the same run. Server CPU time per request is the steadiest figure on a shared machine.
 *
 *   npm run bench:overhead [-- --rounds 3 --seconds 5 --warmup 20 --connections 8 --rate 400 --phase both|saturation|latency]
 *
 * Every process first serves --warmup seconds of saturating load: an instrumented service keeps V8's
 * background threads compiling for 10–25 s under load, and that one-off cost is not what a long-running
 * service pays per request.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, REPOSITORY_ROOT, serviceMain, startProcess, TELEMETRY_PRELOAD, type RunningProcess } from '@cinemetrics/testing';
import { startOtlpSink } from './otlp-sink.js';
import { cpuSeconds, mainThreadCpuSeconds, rssMiB } from './proc-stats.js';
import { percentile, steadyLoad } from './steady-load.js';

interface Mode {
  name: string;
  args: string[];
  env: Record<string, string>;
}

interface Sample {
  mode: string;
  cpuMicrosPerRequest: number;
  mainThreadMicrosPerRequest: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMiB: number;
}

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '20' },
    connections: { type: 'string', default: '8' },
    rate: { type: 'string', default: '400' },
    phase: { type: 'string', default: 'both' },
  },
});
const rounds = Number(options.rounds);
const seconds = Number(options.seconds);
const warmupSeconds = Number(options.warmup);
const connections = Number(options.connections);
const fixedRate = Number(options.rate);
const phase = options.phase;

const main = serviceMain('metadata');
const STOCK_PRELOAD = require.resolve('@opentelemetry/auto-instrumentations-node/register');

function modes(sinkUrl: string): Mode[] {
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, LOG_FORMAT: 'json' };
  return [
    { name: 'bare koa', args: [path.join(REPOSITORY_ROOT, 'bench/dist/src/bare-koa.js')], env: {} },
    { name: 'kit, telemetry off', args: [main], env: { OTEL_SDK_DISABLED: 'true', LOG_FORMAT: 'json' } },
    { name: 'kit, all on, 100%', args: ['--require', TELEMETRY_PRELOAD, main], env: exporting },
    {
      name: 'kit, all on, 10%',
      args: ['--require', TELEMETRY_PRELOAD, main],
      env: { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    },
    // The stock zero-code setup: every default instrumentation, traces and logs over OTLP — on the
    // same service, and on the bare Koa app (what the stock setup alone costs).
    { name: 'stock auto-instr.', args: ['--require', STOCK_PRELOAD, main], env: { ...exporting, OTEL_METRICS_EXPORTER: 'none' } },
    {
      name: 'stock on bare koa',
      args: ['--require', STOCK_PRELOAD, path.join(REPOSITORY_ROOT, 'bench/dist/src/bare-koa.js')],
      env: { ...exporting, OTEL_METRICS_EXPORTER: 'none' },
    },
  ];
}

async function start(mode: Mode): Promise<{ process: RunningProcess; url: string }> {
  const port = await freePort();
  const adminPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await startProcess({
    name: mode.name,
    args: mode.args,
    env: { ...mode.env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'info' },
    readyUrl: `${url}/.well-known/health`,
    stdout: 'drain',
  });
  if (!mode.name.includes('bare')) {
    const response = await fetch(`${url}/metadata/bench-1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Heat', year: 1995, director: 'Michael Mann', actors: ['Al Pacino'] }),
    });
    if (response.status >= 300) throw new Error(`${mode.name}: seeding failed with ${response.status}`);
  }
  return { process, url };
}

function load(url: string, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${url}/metadata/bench-1`, connections, duration: durationSeconds });
}

async function measure(mode: Mode): Promise<Sample> {
  const { process, url } = await start(mode);
  try {
    await load(url, warmupSeconds);
    const cpuBefore = cpuSeconds(process.pid);
    const mainBefore = mainThreadCpuSeconds(process.pid);
    const result = await load(url, seconds);
    const cpuAfter = cpuSeconds(process.pid);
    const mainAfter = mainThreadCpuSeconds(process.pid);
    const total = result.requests.total;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      mode: mode.name,
      cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / total,
      mainThreadMicrosPerRequest: ((mainAfter - mainBefore) * 1e6) / total,
      requestsPerSecond: total / seconds,
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssMiB: rssMiB(process.pid),
    };
  } finally {
    await process.stop();
  }
}

/** p50 and p99 under an open-loop stream of evenly spaced requests (see steady-load.ts). */
async function fixedRateLatency(mode: Mode): Promise<{ p50: number; p99: number }> {
  const { process, url } = await start(mode);
  try {
    await load(url, warmupSeconds);
    // Let the saturating warm-up's queues drain and settle into the steady stream before measuring.
    await steadyLoad(url, '/metadata/bench-1', fixedRate, 2);
    const { latenciesMs, failures } = await steadyLoad(url, '/metadata/bench-1', fixedRate, seconds);
    if (failures > 0) throw new Error(`${mode.name}: ${failures} failed requests at ${fixedRate} req/s`);
    return { p50: percentile(latenciesMs, 0.5), p99: percentile(latenciesMs, 0.99) };
  } finally {
    await process.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const fmt = (value: number, digits = 1) => value.toFixed(digits).padStart(8);

async function saturation(all: Mode[]): Promise<void> {
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round += 1) {
    // Rotate the order so no mode always runs first or last.
    const order = all.map((_, i) => all[(i + round) % all.length] as Mode);
    for (const mode of order) {
      const sample = await measure(mode);
      samples.push(sample);
      process.stderr.write(`round ${round + 1}: ${mode.name.padEnd(20)} ${fmt(sample.cpuMicrosPerRequest)} µs CPU/req ${fmt(sample.requestsPerSecond, 0)} req/s\n`);
    }
  }
  const summary = all.map((mode) => {
    const of = samples.filter((s) => s.mode === mode.name);
    return {
      mode: mode.name,
      cpu: median(of.map((s) => s.cpuMicrosPerRequest)),
      main: median(of.map((s) => s.mainThreadMicrosPerRequest)),
      rps: median(of.map((s) => s.requestsPerSecond)),
      p50: median(of.map((s) => s.p50)),
      p99: median(of.map((s) => s.p99)),
      rss: median(of.map((s) => s.rssMiB)),
    };
  });
  const row = (name: string) => summary.find((s) => s.mode === name) as (typeof summary)[number];
  const bare = row('bare koa');
  // Telemetry's cost is what it adds to the same service: every mode but bare runs the kit service.
  const kitOff = row('kit, telemetry off');
  const stockAdded = row('stock auto-instr.').cpu - kitOff.cpu;
  console.log(`\nbench/overhead — median of ${rounds} rounds, ${seconds} s each after ${warmupSeconds} s of warm-up, ${connections} connections, GET /metadata/:id\n`);
  console.log('mode                  CPU µs/req   ×bare  telemetry µs  ÷stock   main µs/req     req/s   ×bare   p50 ms   p99 ms   RSS MiB');
  for (const r of summary) {
    const onKit = r.mode !== 'bare koa' && r.mode !== 'stock on bare koa';
    const added = onKit ? fmt(r.cpu - kitOff.cpu) + '     ' : '        -     ';
    const ratio = onKit ? fmt((r.cpu - kitOff.cpu) / stockAdded, 2) : '       -';
    console.log(
      `${r.mode.padEnd(20)}${fmt(r.cpu)}${fmt(r.cpu / bare.cpu, 2)}${added}${ratio}      ${fmt(r.main)}  ${fmt(r.rps, 0)}${fmt(r.rps / bare.rps, 2)}${fmt(r.p50, 2)}${fmt(r.p99, 2)}${fmt(r.rss, 0)}`,
    );
  }
}

async function latency(all: Mode[]): Promise<void> {
  const lines = [] as string[];
  for (const mode of all.filter((m) => m.name !== 'stock on bare koa')) {
    const runs = [] as { p50: number; p99: number }[];
    for (let round = 0; round < rounds; round += 1) runs.push(await fixedRateLatency(mode));
    const p50 = median(runs.map((r) => r.p50));
    const p99 = median(runs.map((r) => r.p99));
    lines.push(`${mode.name.padEnd(20)} p50 ${fmt(p50, 2)} ms  p99 ${fmt(p99, 2)} ms  (p99 of each run: ${runs.map((r) => r.p99.toFixed(2)).join(', ')})`);
    process.stderr.write(`${lines.at(-1)}\n`);
  }
  console.log(`\nOpen-loop ${fixedRate} req/s, evenly spaced, median of ${rounds} runs of ${seconds} s after ${warmupSeconds} s of warm-up:\n${lines.join('\n')}`);
}

async function run(): Promise<void> {
  const sink = await startOtlpSink();
  const all = modes(sink.url);
  if (phase !== 'latency') await saturation(all);
  if (phase !== 'saturation') await latency(all);
  console.log(`\nOTLP exports received by the sink: ${sink.requests()}`);
  await sink.close();
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
