/**
 * bench/fanout: `GET /movies/{id}` through movie → metadata + rating on MariaDB seeded with the data set
 * (10,000 movies, 200,000 ratings), with telemetry off, all on at 100 % and all on at 10 % parent-based
 * sampling — three service trios side by side, each with two movie processes (metadata cache on and off),
 * all exporting to the stack's real collector. The load moves from one arm (configuration × cache × hot
 * or cold ids) to the next window after window, round after round, the order rotating; figures are
 * ratios to telemetry off within each round, with quartiles over rounds.
 *
 *   npm run bench:fanout [-- --rounds 5 --seconds 3 --warmup 15 --connections 8 --rate 50 --phase both|saturation|latency --minutes 40
 *                            --baseline /path/to/another/checkout]
 *
 * `--baseline <dir>` adds the three trios again, run from another built checkout (`npm run build` there),
 * as `baseline: …` arms judged against the baseline's own telemetry off: a change measured before and
 * after in one run.
 *
 * CPU per request is the user+system CPU of metadata, rating and the movie process under load, summed
 * (/proc), divided by the requests movie served. The collector's CPU and what it accepted are read at the
 * start and end of each phase.
 */
import { parseArgs } from 'node:util';
import { cell, quartileCells } from './cells.js';
import { collectorPid, readCollector, type CollectorReading } from './collector-stats.js';
import { latencyWindow, saturationWindow, type LatencySample, type SaturationSample } from './fanout-load.js';
import { idPicker, startFanoutWorld, telemetryConfigs, type IdSet, type Trio } from './fanout-world.js';
import { runBench } from './lifetime.js';
import { choiceOption, numberOption } from './options.js';
import { alternate, perRound, type Sampled } from './rounds.js';
import { median } from './spread.js';
import { steadyLoad } from './steady-load.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    phase: { type: 'string' },
    minutes: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const rounds = numberOption(values.rounds, 'rounds', 5, { min: 1, max: 100 });
const seconds = numberOption(values.seconds, 'seconds', 3, { min: 1, max: 60 });
const warmupSeconds = numberOption(values.warmup, 'warmup', 15, { min: 0, max: 300 });
const connections = numberOption(values.connections, 'connections', 8, { min: 1, max: 256 });
const rate = numberOption(values.rate, 'rate', 50, { min: 1, max: 10_000 });
const phase = choiceOption(values.phase, 'phase', 'both', ['both', 'saturation', 'latency'] as const);
const minutes = numberOption(values.minutes, 'minutes', 40, { min: 1, max: 600 });

const CACHES = { 'cache on': {}, 'cache off': { METADATA_CACHE_MAX_ENTRIES: '0' } };
const IDS: IdSet[] = ['hot', 'cold'];

interface Arm {
  name: string;
  trio: Trio;
  /** The telemetry configuration, `baseline: `-prefixed for the baseline checkout's trios. */
  config: string;
  cache: string;
  ids: IdSet;
}

const armName = (config: string, cache: string, ids: IdSet): string => `${config} · ${cache} · ${ids}`;

const BASELINE = 'baseline: ';

/** The arm every arm is judged against: telemetry off, same checkout, cache and ids. */
const offArm = (arm: Arm): string => armName(arm.config.startsWith(BASELINE) ? `${BASELINE}off` : 'off', arm.cache, arm.ids);
const isOff = (arm: Arm): boolean => offArm(arm) === arm.name;

const percent = (ratio: number): number => (ratio - 1) * 100;

function collectorLine(before: CollectorReading, after: CollectorReading): string {
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const spans = after.spans - before.spans;
  const logs = after.logRecords - before.logRecords;
  const perThousand = spans + logs === 0 ? Number.NaN : (cpu * 1e6) / ((spans + logs) / 1000);
  return `collector: ${cpu.toFixed(1)} s CPU, accepted ${spans} spans and ${logs} log records: ${cell(perThousand, 0, 0)} µs CPU per 1000 items (spans + log records)`;
}

function report<T extends SaturationSample | LatencySample>(
  title: string,
  samples: Sampled<T>[],
  arms: Arm[],
  columns: { header: string; figure: (sample: T) => number; digits: number }[],
): void {
  const { sampleOf, overRounds } = perRound(samples, rounds);
  console.log(`\n${title}\n`);
  console.log(`${'arm'.padEnd(44)}${columns.map((c) => c.header.padStart(9)).join('')}   CPU/req over off: q1, median, q3 (%)`);
  for (const arm of arms) {
    const off = offArm(arm);
    const cells = columns.map((c) => cell(median(samples.filter((s) => s.arm === arm.name).map(c.figure)), c.digits)).join('');
    const added = isOff(arm) ? '' : quartileCells(overRounds((round) => percent(sampleOf(arm.name, round).cpuMicrosPerRequest / sampleOf(off, round).cpuMicrosPerRequest)), 1, 7);
    console.log(`${arm.name.padEnd(44)}${cells}   ${added}`);
  }
  const errors = samples.reduce((sum, s) => sum + s.errors, 0);
  console.log(`errors (non-2xx or failed) over all windows: ${errors}`);
}

runBench('bench:fanout', minutes * 60, async (lifetime) => {
  const world = await startFanoutWorld(lifetime, { stack: true });
  const stack = world.stack;
  if (stack === undefined) throw new Error('the fan-out needs the stack');
  const arms: Arm[] = [];
  const checkouts = [{ prefix: '', extra: {} }, ...(values.baseline ? [{ prefix: BASELINE, extra: { checkout: values.baseline } }] : [])];
  for (const { prefix, extra } of checkouts) {
    for (const telemetry of telemetryConfigs(world.collectorUrl)) {
      const config = `${prefix}${telemetry.name}`;
      process.stderr.write(`starting the trio with telemetry ${config}…\n`);
      const trio = await world.startTrio(config, telemetry, CACHES, extra);
      for (const cache of Object.keys(CACHES)) for (const ids of IDS) arms.push({ name: armName(config, cache, ids), trio, config, cache, ids });
    }
  }
  const url = (arm: Arm): string => (arm.trio.movies[arm.cache] as { url: string }).url;
  const pids = (arm: Arm): number[] => arm.trio.pids(arm.cache);
  console.log(`bench/fanout: ${rounds} rounds of ${seconds}-second windows per arm, ${warmupSeconds} s warm-up per movie process; collector pid ${collectorPid(stack)}`);

  if (phase !== 'latency') {
    for (const arm of arms.filter((a) => a.ids === 'cold')) await saturationWindow(url(arm), idPicker('cold'), pids(arm), connections, warmupSeconds);
    const before = await readCollector(stack);
    const samples = await alternate(arms, rounds, (arm) => saturationWindow(url(arm), idPicker(arm.ids), pids(arm), connections, seconds));
    const after = await readCollector(stack);
    report(`Saturation, ${connections} connections (CPU summed over movie, metadata, rating)`, samples, arms, [
      { header: 'CPU µs', figure: (s) => s.cpuMicrosPerRequest, digits: 0 },
      { header: 'req/s', figure: (s) => s.requestsPerSecond, digits: 0 },
    ]);
    const { sampleOf, overRounds } = perRound(samples, rounds);
    console.log('\nthroughput × off (median of rounds):');
    for (const arm of arms.filter((a) => !isOff(a))) {
      const off = offArm(arm);
      console.log(`  ${arm.name.padEnd(44)}${cell(median(overRounds((round) => sampleOf(arm.name, round).requestsPerSecond / sampleOf(off, round).requestsPerSecond)), 2)}`);
    }
    console.log(collectorLine(before, after));
  }
  if (phase !== 'saturation') {
    if (phase === 'latency') for (const arm of arms.filter((a) => a.ids === 'cold')) await steadyLoad(url(arm), idPicker('cold'), rate, warmupSeconds);
    const before = await readCollector(stack);
    const samples = await alternate(arms, rounds, (arm) => latencyWindow(url(arm), idPicker(arm.ids), pids(arm), rate, seconds));
    const after = await readCollector(stack);
    report(`Open loop, ${rate} req/s evenly spaced`, samples, arms, [
      { header: 'p50 ms', figure: (s) => s.p50, digits: 2 },
      { header: 'p99 ms', figure: (s) => s.p99, digits: 2 },
      { header: 'CPU µs', figure: (s) => s.cpuMicrosPerRequest, digits: 0 },
    ]);
    console.log(collectorLine(before, after));
  }
});
