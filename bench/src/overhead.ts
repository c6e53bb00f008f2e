/**
 * bench/overhead: the cost of the kit's telemetry on one endpoint (metadata read, in-memory store).
 * Modes run alternately, several rounds, in one run; every figure is reported as a ratio to bare Koa
 * measured in the same run. Server CPU time per request is the steadiest figure on a shared machine.
 *
 *   npm run bench:overhead [-- --rounds 3 --seconds 5 --connections 8 --rate 400]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, REPOSITORY_ROOT, serviceMain, startProcess, TELEMETRY_PRELOAD, type RunningProcess } from '@cinemetrics/testing';
import { startOtlpSink } from './otlp-sink.js';
import { cpuSeconds, rssMiB } from './proc-stats.js';

interface Mode {
  name: string;
  args: string[];
  env: Record<string, string>;
}

interface Sample {
  mode: string;
  cpuMicrosPerRequest: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMiB: number;
}

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    rate: { type: 'string', default: '400' },
  },
});
const rounds = Number(options.rounds);
const seconds = Number(options.seconds);
const connections = Number(options.connections);
const fixedRate = Number(options.rate);

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

function load(url: string, durationSeconds: number, overallRate?: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/metadata/bench-1`,
    connections: overallRate ? 4 : connections,
    duration: durationSeconds,
    ...(overallRate ? { overallRate } : {}),
  });
}

async function measure(mode: Mode): Promise<Sample> {
  const { process, url } = await start(mode);
  try {
    await load(url, 2);
    const cpuBefore = cpuSeconds(process.pid);
    const result = await load(url, seconds);
    const cpuAfter = cpuSeconds(process.pid);
    const total = result.requests.total;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      mode: mode.name,
      cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / total,
      requestsPerSecond: total / seconds,
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssMiB: rssMiB(process.pid),
    };
  } finally {
    await process.stop();
  }
}

async function fixedRateP99(mode: Mode): Promise<number> {
  const { process, url } = await start(mode);
  try {
    await load(url, 2, fixedRate);
    return (await load(url, seconds, fixedRate)).latency.p99;
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

async function run(): Promise<void> {
  const sink = await startOtlpSink();
  const all = modes(sink.url);
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
      rps: median(of.map((s) => s.requestsPerSecond)),
      p50: median(of.map((s) => s.p50)),
      p99: median(of.map((s) => s.p99)),
      rss: median(of.map((s) => s.rssMiB)),
    };
  });
  const bare = summary[0] as (typeof summary)[number];
  const stock = summary.find((s) => s.mode === 'stock auto-instr.') as (typeof summary)[number];
  const stockAdded = stock.cpu - bare.cpu;
  console.log(`\nbench/overhead — median of ${rounds} rounds, ${seconds} s each, ${connections} connections, GET /metadata/:id\n`);
  console.log('mode                  CPU µs/req   ×bare  added µs  ÷stock-added    req/s   ×bare   p50 ms   p99 ms   RSS MiB');
  for (const row of summary) {
    const added = row.cpu - bare.cpu;
    console.log(
      `${row.mode.padEnd(20)}${fmt(row.cpu)}${fmt(row.cpu / bare.cpu, 2)}${fmt(added)}${fmt(added / stockAdded, 2)}     ${fmt(row.rps, 0)}${fmt(row.rps / bare.rps, 2)}${fmt(row.p50, 2)}${fmt(row.p99, 2)}${fmt(row.rss, 0)}`,
    );
  }
  const atRate = [] as string[];
  for (const mode of all.filter((m) => !m.name.includes('stock') && !m.name.includes('off'))) {
    atRate.push(`${mode.name.padEnd(20)} p99 ${fmt(await fixedRateP99(mode), 2)} ms`);
  }
  console.log(`\nAt a fixed ${fixedRate} req/s:\n${atRate.join('\n')}`);
  console.log(`\nOTLP exports received by the sink: ${sink.requests()}`);
  await sink.close();
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
