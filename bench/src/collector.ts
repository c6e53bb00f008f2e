/**
 * bench/collector: what the stack's collector costs, and what it costs the services when it is down or slow.
 *
 *   npm run bench:collector [-- --rounds 5 --seconds 10 --rate 100 --warmup 15 --latency-seconds 3 --minutes 30]
 *
 * Cost: two all-on trios (movie → metadata + rating on the seeded MariaDB), one exporting only traces,
 * one only logs, take turns at the fan-out's fixed rate with an idle period between; each period runs
 * `--seconds` of load and then waits for the exporters' batches (schedule delay 5 s for spans) to arrive.
 * The collector's own CPU (/proc) over a period, less that of the idle period of the same round, divided
 * by what its receiver accepted (otelcol_receiver_accepted_*), gives CPU per thousand spans and per
 * thousand log records.
 *
 * Down and slow: three all-on trios exporting to the collector, to a closed loopback port, and to a sink
 * that accepts and never answers, under the same open-loop rate in alternating windows: p50 and p99 of
 * each, and their ratio to the collector-up trio in the same round.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@cinemetrics/testing';
import { cell, quartileCells } from './cells.js';
import { collectorWork, readCollector, type CollectorWork } from './collector-stats.js';
import { latencyWindow } from './fanout-load.js';
import { idPicker, startFanoutWorld, telemetryConfigs, type TelemetryConfig, type Trio } from './fanout-world.js';
import { runBench } from './lifetime.js';
import { numberOption, readCommandLine } from './options.js';
import { alternate, perRound } from './rounds.js';
import { median } from './spread.js';
import { startStallingSink } from './stalling-sink.js';
import { steadyLoad } from './steady-load.js';

const {
  rounds,
  seconds,
  'latency-seconds': latencySeconds,
  rate,
  warmup: warmupSeconds,
  minutes,
} = readCommandLine({
  rounds: numberOption(5, { min: 1, max: 100 }),
  seconds: numberOption(10, { min: 1, max: 120 }),
  'latency-seconds': numberOption(3, { min: 1, max: 60 }),
  rate: numberOption(50, { min: 1, max: 10_000 }),
  warmup: numberOption(15, { min: 0, max: 300 }),
  minutes: numberOption(30, { min: 1, max: 600 }),
});

/** Long enough for the span processor's scheduled export (5 s) and the log worker's (1 s) to arrive. */
const DRAIN_SECONDS = 6;


function only(base: TelemetryConfig, name: string, env: Record<string, string>): TelemetryConfig {
  return { ...base, name, env: { ...base.env, ...env } };
}

runBench('bench:collector', minutes * 60, async (lifetime) => {
  const world = await startFanoutWorld(lifetime, { stack: true });
  const stack = world.stack;
  if (stack === undefined) throw new Error('the collector bench needs the stack');
  const allOn = telemetryConfigs(world.collectorUrl).find((config) => config.name === 'all on 100%') as TelemetryConfig;
  const movieUrl = (trio: Trio): string => (trio.movies['movie'] as { url: string }).url;
  const cold = idPicker('cold');

  // Cost per span and per log record.
  const tracesOnly = await world.startTrio('traces only', only(allOn, 'traces only', { OTEL_LOGS_EXPORTER: 'none' }), { movie: {} });
  const logsOnly = await world.startTrio('logs only', only(allOn, 'logs only', { OTEL_TRACES_EXPORTER: 'none' }), { movie: {} });
  for (const trio of [tracesOnly, logsOnly]) await steadyLoad(movieUrl(trio), cold, rate, warmupSeconds);
  const periods = [{ name: 'traces only', trio: tracesOnly }, { name: 'logs only', trio: logsOnly }, { name: 'idle', trio: undefined }];
  let failures = 0;
  const costSamples = await alternate(periods, rounds, async ({ trio }) => {
    await sleep(DRAIN_SECONDS * 1000);
    const before = await readCollector(stack);
    if (trio === undefined) await sleep(seconds * 1000);
    else failures += (await steadyLoad(movieUrl(trio), cold, rate, seconds)).failures;
    await sleep(DRAIN_SECONDS * 1000);
    const after = await readCollector(stack);
    return collectorWork(before, after);
  });
  const cost = perRound(costSamples, rounds);
  const perThousand = (arm: string, items: (reading: CollectorWork) => number) => (round: number) => {
    const sample = cost.sampleOf(arm, round);
    return ((sample.cpuSeconds - cost.sampleOf('idle', round).cpuSeconds) * 1e6) / (items(sample) / 1000);
  };
  console.log(`\nbench/collector: the collector's CPU per thousand items at ${rate} req/s through movie (${rounds} rounds of ${seconds} s + ${DRAIN_SECONDS} s drain)\n`);
  console.log(`${'period'.padEnd(14)}   collector CPU s   spans accepted   log records accepted   µs CPU per 1000 (q1, median, q3)`);
  for (const { name } of periods) {
    const mine = costSamples.filter((sample) => sample.arm === name);
    const figure = name === 'traces only' ? perThousand(name, (r) => r.spans) : name === 'logs only' ? perThousand(name, (r) => r.logRecords) : undefined;
    console.log(
      `${name.padEnd(14)}${cell(median(mine.map((s) => s.cpuSeconds)), 2, 18)}${cell(median(mine.map((s) => s.spans)), 0, 17)}${cell(median(mine.map((s) => s.logRecords)), 0, 23)}   ` +
        (figure === undefined ? '' : quartileCells(cost.overRounds(figure), 0, 8)),
    );
  }
  console.log(`failed requests: ${failures}`);
  await Promise.all([tracesOnly, logsOnly].flatMap((trio) => [trio.metadata, trio.rating, ...Object.values(trio.movies)].map((s) => s.process.stop())));

  // The services' latency with the collector up, down and slow.
  const closedPort = await freePort();
  const stalling = await startStallingSink();
  lifetime.onStop(() => stalling.close());
  const endpoints = { up: world.collectorUrl, down: `http://127.0.0.1:${closedPort}`, slow: stalling.url };
  const trios: { name: string; trio: Trio }[] = [];
  for (const [name, endpoint] of Object.entries(endpoints)) {
    trios.push({ name, trio: await world.startTrio(name, only(allOn, `collector ${name}`, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), { movie: {} }) });
  }
  for (const { trio } of trios) await steadyLoad(movieUrl(trio), cold, rate, warmupSeconds);
  const latency = await alternate(trios, rounds, ({ trio }) => latencyWindow(movieUrl(trio), cold, trio.pids('movie'), rate, latencySeconds));
  const byRound = perRound(latency, rounds);
  console.log(`\nThe services with the collector up, down (closed port) and slow (never answers): open loop ${rate} req/s, ${rounds} rounds of ${latencySeconds} s\n`);
  console.log(`${'collector'.padEnd(10)}  p50 ms   p99 ms   CPU µs/req   p50 × up (q1, median, q3)   p99 × up (q1, median, q3)`);
  for (const { name } of trios) {
    const mine = latency.filter((sample) => sample.arm === name);
    const ratio = (figure: 'p50' | 'p99') => quartileCells(byRound.overRounds((round) => byRound.sampleOf(name, round)[figure] / byRound.sampleOf('up', round)[figure]), 2, 8);
    console.log(
      `${name.padEnd(10)}${cell(median(mine.map((s) => s.p50)), 2, 8)}${cell(median(mine.map((s) => s.p99)), 2)}${cell(median(mine.map((s) => s.cpuMicrosPerRequest)), 0, 13)}` +
        (name === 'up' ? '' : `   ${ratio('p50')}    ${ratio('p99')}`),
    );
  }
  console.log(`errors over all windows: ${latency.reduce((sum, s) => sum + s.errors, 0)}; exports the stalled sink received (never answered): ${stalling.requests()}`);
});
