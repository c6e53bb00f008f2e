/**
 * bench/fanout: `GET /movies/{id}` through movie → metadata + rating on MariaDB seeded with the data set
 * (10,000 movies, 200,000 ratings), with telemetry off, all on at 100 % and all on at 10 % parent-based
 * sampling — three service trios side by side, each with two movie processes (metadata cache on and off),
 * all exporting to the stack's real collector. The load moves from one arm (configuration × cache × hot
 * or cold ids) to the next window after window, round after round, the order rotating; figures are
 * ratios to telemetry off within each round, with quartiles over rounds.
 *
 *   npm run bench:fanout [-- --rounds 5 --seconds 3 --warmup 15 --connections 8 --rate 50 --phase both|saturation|latency --minutes 40
 *                            --replicas 2 --baseline /path/to/another/checkout]
 *
 * `--replicas N` starts N trios per configuration (2 unless told). Each keeps some offset of its own for its
 * whole life (docs/performance.md, *Unsampled requests*); with several, each arm is judged against telemetry
 * off of its own replica and the quartiles are taken over rounds and replicas, so the offsets land in the
 * spread instead of in the medians. More trios alive at once widen that spread: with twelve, identical
 * trios were a third apart, the first started the costliest (docs/performance.md, *Fan-out: identical
 * trios*), so a baseline run or more than two replicas is read against it.
 *
 * `--phase latency --rate R` with R near two thirds of the slowest arm's saturation gives CPU per request
 * at equal load, where every arm gets the same arrivals; at saturation a slower arm's processes also pay
 * each event-loop turn's fixed work over fewer requests.
 * `--baseline <dir>` adds the trios again, run from another built checkout (`npm run build` there), as
 * `baseline: …` arms judged against the baseline's own telemetry off: a change measured before and after
 * in one run.
 *
 * CPU per request is the CPU of metadata, rating and the movie process under load, summed (each thread's
 * nanoseconds: proc-stats.ts `readCpu`), divided by the requests movie served; `main µs` is the three
 * event loops' share of it, the rest being the log-export workers, V8's helper threads and libuv's pool;
 * `+ µs/req` is what an arm costs over telemetry off, the median of the per-round differences. The
 * collector's CPU and what it accepted are read at the start and end of each phase.
 */
import { cell, quartileCells } from './cells.js';
import { collectorPid, collectorWork, readCollector, type CollectorReading } from './collector-stats.js';
import { latencyWindow, saturationWindow, type LatencySample, type SaturationSample } from './fanout-load.js';
import { idPicker, startFanoutWorld, telemetryConfigs, type IdSet, type Trio } from './fanout-world.js';
import { runBench } from './lifetime.js';
import { choiceOption, numberOption, readCommandLine, textOption } from './options.js';
import { alternate, perRound, type Sampled } from './rounds.js';
import { median } from './spread.js';
import { steadyLoad } from './steady-load.js';

const {
  rounds,
  seconds,
  warmup: warmupSeconds,
  connections,
  rate,
  phase,
  minutes,
  replicas,
  baseline,
} = readCommandLine({
  rounds: numberOption(5, { min: 1, max: 100 }),
  seconds: numberOption(3, { min: 1, max: 60 }),
  warmup: numberOption(15, { min: 0, max: 300 }),
  connections: numberOption(8, { min: 1, max: 256 }),
  rate: numberOption(50, { min: 1, max: 10_000 }),
  phase: choiceOption('both', ['both', 'saturation', 'latency'] as const),
  minutes: numberOption(40, { min: 1, max: 600 }),
  baseline: textOption(),
  replicas: numberOption(2, { min: 1, max: 8 }),
});

const CACHES = { 'cache on': {}, 'cache off': { METADATA_CACHE_MAX_ENTRIES: '0' } };
const IDS: IdSet[] = ['hot', 'cold'];

interface Arm {
  /** Unique: the label and, with several replicas, the replica's number. */
  name: string;
  /** What the report shows: the configuration (`baseline: `-prefixed for the baseline's trios), cache and ids. */
  label: string;
  /** The arm it is judged against: telemetry off, same checkout, cache, ids and replica. */
  off: string;
  trio: Trio;
  cache: string;
  ids: IdSet;
}

const armName = (config: string, cache: string, ids: IdSet): string => `${config} · ${cache} · ${ids}`;

const BASELINE = 'baseline: ';

const isOff = (arm: Arm): boolean => arm.off === arm.name;

/** The arms under one label, one per replica, in label order. */
function byLabel(arms: readonly Arm[]): Arm[][] {
  const groups = new Map<string, Arm[]>();
  for (const arm of arms) groups.set(arm.label, [...(groups.get(arm.label) ?? []), arm]);
  return [...groups.values()];
}

const percent = (ratio: number): number => (ratio - 1) * 100;

function collectorLine(before: CollectorReading, after: CollectorReading): string {
  const { cpuSeconds: cpu, spans, logRecords: logs } = collectorWork(before, after);
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
  console.log(`${'arm'.padEnd(44)}${columns.map((c) => c.header.padStart(9)).join('')}  + µs/req   CPU/req over off: q1, median, q3 (%)`);
  for (const group of byLabel(arms)) {
    const [first] = group as [Arm];
    const names = new Set(group.map((arm) => arm.name));
    const cells = columns.map((c) => cell(median(samples.filter((s) => names.has(s.arm)).map(c.figure)), c.digits)).join('');
    if (isOff(first)) {
      console.log(`${first.label.padEnd(44)}${cells}`);
      continue;
    }
    const cpuOver = (over: (arm: number, off: number) => number): number[] =>
      group.flatMap((arm) => overRounds((round) => over(sampleOf(arm.name, round).cpuMicrosPerRequest, sampleOf(arm.off, round).cpuMicrosPerRequest)));
    // The microseconds beside the ratio: the ratio also moves with the cost of telemetry off, the microseconds only with telemetry's own.
    const added = cpuOver((arm, off) => arm - off);
    const ratios = cpuOver((arm, off) => percent(arm / off));
    console.log(`${first.label.padEnd(44)}${cells}${cell(median(added), 0, 10)}   ${quartileCells(ratios, 1, 7)}`);
  }
  const errors = samples.reduce((sum, s) => sum + s.errors, 0);
  console.log(`errors (non-2xx or failed) over all windows: ${errors}`);
}

runBench('bench:fanout', minutes * 60, async (lifetime) => {
  const world = await startFanoutWorld(lifetime, { stack: true });
  const stack = world.stack;
  if (stack === undefined) throw new Error('the fan-out needs the stack');
  const arms: Arm[] = [];
  const checkouts = [{ prefix: '', extra: {} }, ...(baseline ? [{ prefix: BASELINE, extra: { checkout: baseline } }] : [])];
  for (const { prefix, extra } of checkouts) {
    for (let replica = 1; replica <= replicas; replica += 1) {
      const suffix = replicas > 1 ? ` #${replica}` : '';
      for (const telemetry of telemetryConfigs(world.collectorUrl)) {
        const config = `${prefix}${telemetry.name}`;
        process.stderr.write(`starting the trio with telemetry ${config}${suffix}…\n`);
        const trio = await world.startTrio(`${config}${suffix}`, telemetry, CACHES, extra);
        for (const cache of Object.keys(CACHES)) {
          for (const ids of IDS) {
            const label = armName(config, cache, ids);
            arms.push({ name: `${label}${suffix}`, label, off: `${armName(`${prefix}off`, cache, ids)}${suffix}`, trio, cache, ids });
          }
        }
      }
    }
  }
  const url = (arm: Arm): string => (arm.trio.movies[arm.cache] as { url: string }).url;
  const pids = (arm: Arm): number[] => arm.trio.pids(arm.cache);
  console.log(`bench/fanout: ${rounds} rounds of ${seconds}-second windows per arm, ${replicas} trio(s) per configuration, ${warmupSeconds} s warm-up per movie process; collector pid ${collectorPid(stack)}`);

  if (phase !== 'latency') {
    for (const arm of arms.filter((a) => a.ids === 'cold')) await saturationWindow(url(arm), idPicker('cold'), pids(arm), connections, warmupSeconds);
    const before = await readCollector(stack);
    const samples = await alternate(arms, rounds, (arm) => saturationWindow(url(arm), idPicker(arm.ids), pids(arm), connections, seconds));
    const after = await readCollector(stack);
    report(`Saturation, ${connections} connections (CPU summed over movie, metadata, rating)`, samples, arms, [
      { header: 'CPU µs', figure: (s) => s.cpuMicrosPerRequest, digits: 0 },
      { header: 'main µs', figure: (s) => s.mainMicrosPerRequest, digits: 0 },
      { header: 'req/s', figure: (s) => s.requestsPerSecond, digits: 0 },
    ]);
    const { sampleOf, overRounds } = perRound(samples, rounds);
    console.log('\nthroughput × off (median of rounds and replicas):');
    for (const group of byLabel(arms.filter((a) => !isOff(a)))) {
      const ratios = group.flatMap((arm) => overRounds((round) => sampleOf(arm.name, round).requestsPerSecond / sampleOf(arm.off, round).requestsPerSecond));
      console.log(`  ${(group[0] as Arm).label.padEnd(44)}${cell(median(ratios), 2)}`);
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
      { header: 'main µs', figure: (s) => s.mainMicrosPerRequest, digits: 0 },
    ]);
    console.log(collectorLine(before, after));
  }
});
