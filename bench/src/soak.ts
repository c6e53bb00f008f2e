/**
 * bench/soak: the fan-out (movie → metadata + rating on the seeded MariaDB, telemetry all on, exporting
 * to the stack's collector, metadata cache on, ids over the whole data set) at 70 % of the throughput it
 * saturates at, for `--minutes` (15 by default). Every `--sample-seconds` it records each service's RSS
 * (/proc) and V8 heap (nodejs_heap_size_used_bytes from its /metrics) and the requests that failed; after
 * `--settle` minutes of the run it fits a line to each and reports the slope and the spread around it,
 * and the peaks in each `--window` minutes of RSS, of V8's committed heap, of glibc's malloc arenas and
 * of the other anonymous memory: a line fitted to a saw-tooth slower than the run reads as a slope, where
 * peaks that stop rising show a plateau, and the kinds show which memory still rises.
 *
 *   npm run bench:soak [-- --minutes 15 --sample-seconds 5 --settle 2 --window 5 --load 0.7 --burst-connections 200 --burst-seconds 20
 *                         --node-args=--max-semi-space-size=4 --log-level warn]
 *
 * Then a burst: movie alone under `--burst-connections` concurrent connections for `--burst-seconds`,
 * with movie's RSS and heap by V8 space read before, at its end, after 30 s idle, and after a heap
 * snapshot (which runs a full garbage collection first) and 20 s after it: how much of what the burst added
 * is live, how much is heap V8 keeps for its next use, and when it gives that back.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { parseSamples, sumOf } from '@cinemetrics/testing';
import { saturationWindow } from './fanout-load.js';
import { idPicker, startFanoutWorld, telemetryConfigs, type BenchService, type TelemetryConfig } from './fanout-world.js';
import { runBench } from './lifetime.js';
import { choiceOption, derivedNumberOption, nodeArgsOption, numberOption, OptionError, readCommandLine } from './options.js';
import { residentMemory, rssMiB } from './proc-stats.js';
import { quantile, slope, windowPeaks } from './spread.js';
import { steadyLoad } from './steady-load.js';

const { minutes, sampleSeconds, settleMinutes, windowMinutes, loadShare, burstConnections, burstSeconds, logLevel, nodeArgs } = readCommandLine(
  {
    minutes: numberOption(15, { min: 0.5, max: 24 * 60, integer: false }),
    'sample-seconds': numberOption(5, { min: 1, max: 600 }),
    settle: derivedNumberOption('the lesser of 2 and a fifth of --minutes, at most --minutes', { min: 0, max: 24 * 60, integer: false }),
    window: numberOption(5, { min: 0.1, max: 24 * 60, integer: false }),
    load: numberOption(0.7, { min: 0.05, max: 1, integer: false }),
    'burst-connections': numberOption(200, { min: 0, max: 256 }),
    'burst-seconds': numberOption(20, { min: 1, max: 600 }),
    /** Node options for the three services, to try what changes their memory. */
    'node-args': nodeArgsOption(),
    /** The services' LOG_LEVEL: `warn` leaves out the access log, and with it almost all work of the log worker thread. */
    'log-level': choiceOption('info', ['info', 'warn'] as const),
  },
  (settings) => {
    const { minutes, settle = Math.min(2, minutes / 5) } = settings;
    if (settle > minutes) throw new OptionError(`--settle: ${settle} is outside 0–${minutes} (--minutes)`);
    return {
      minutes,
      sampleSeconds: settings['sample-seconds'],
      settleMinutes: settle,
      windowMinutes: settings.window,
      loadShare: settings.load,
      burstConnections: settings['burst-connections'],
      burstSeconds: settings['burst-seconds'],
      logLevel: settings['log-level'],
      nodeArgs: settings['node-args'],
    };
  },
);

const SATURATION_SECONDS = 10;
const WARMUP_SECONDS = 20;
const IDLE_AFTER_BURST_SECONDS = 30;
const AFTER_SNAPSHOT_SECONDS = 20;
const MIB = 1024 * 1024;

interface MemorySample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  heapCommittedMiB: number;
  /** glibc's malloc arenas, main and per thread (proc-stats.ts residentMemory). */
  mallocMiB: number;
  /** Other anonymous memory: V8's heap pages and code, large malloc blocks, stacks. */
  otherAnonymousMiB: number;
}

async function exposition(service: BenchService): Promise<string> {
  return (await fetch(`${service.adminUrl}/metrics`)).text();
}

async function memoryOf(service: BenchService, minute: number): Promise<MemorySample> {
  const samples = parseSamples(await exposition(service));
  const resident = residentMemory(service.process.pid);
  return {
    minute,
    rssMiB: rssMiB(service.process.pid),
    heapMiB: sumOf(samples, 'nodejs_heap_size_used_bytes') / MIB,
    heapCommittedMiB: sumOf(samples, 'nodejs_heap_size_total_bytes') / MIB,
    mallocMiB: resident.mallocMainArena + resident.mallocThreadArenas,
    otherAnonymousMiB: resident.otherAnonymous,
  };
}

/** Slope per minute of a fitted line, and the spread of the samples around it (max − min of residuals). */
function trend(samples: MemorySample[], figure: (sample: MemorySample) => number): { perMinute: number; spread: number } {
  const xs = samples.map((s) => s.minute);
  const ys = samples.map(figure);
  const perMinute = slope(xs, ys);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  const residuals = ys.map((y, i) => y - (meanY + perMinute * ((xs[i] as number) - meanX)));
  return { perMinute, spread: Math.max(...residuals) - Math.min(...residuals) };
}

/** Movie's memory in one line: RSS, heap used and total, and each V8 space's committed size. */
async function memoryLine(label: string, movie: BenchService): Promise<string> {
  const samples = parseSamples(await exposition(movie));
  const spaces = samples
    .filter((sample) => sample.name === 'nodejs_heap_space_size_total_bytes')
    .map((sample) => `${sample.labels['space'] ?? ''} ${(sample.value / MIB).toFixed(0)}`)
    .join(', ');
  const status = readFileSync(`/proc/${movie.process.pid}/status`, 'utf8');
  const threads = /^Threads:\s+(\d+)/m.exec(status)?.[1] ?? '?';
  const mib = (field: string): string => (Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024).toFixed(0);
  const resident = residentMemory(movie.process.pid);
  return (
    `${label.padEnd(26)} RSS ${mib('VmRSS').padStart(4)} MiB (anonymous ${mib('RssAnon')}, files ${mib('RssFile')}; ${threads} threads); heap used ${(sumOf(samples, 'nodejs_heap_size_used_bytes') / MIB).toFixed(0)}, ` +
    `committed ${(sumOf(samples, 'nodejs_heap_size_total_bytes') / MIB).toFixed(0)}, external ${(sumOf(samples, 'nodejs_external_memory_bytes') / MIB).toFixed(0)} MiB; spaces committed (MiB): ${spaces}\n` +
    `${''.padEnd(26)} resident MiB: malloc main arena ${resident.mallocMainArena.toFixed(0)}, malloc thread arenas ${resident.mallocThreadArenas.toFixed(0)}, ` +
    `other anonymous (V8 heap and code, large malloc blocks, stacks) ${resident.otherAnonymous.toFixed(0)}, files ${resident.files.toFixed(0)}`
  );
}

runBench('bench:soak', minutes * 60 + 600, async (lifetime) => {
  const world = await startFanoutWorld(lifetime, { stack: true });
  const allOn = telemetryConfigs(world.collectorUrl).find((config) => config.name === 'all on 100%') as TelemetryConfig;
  const adminToken = randomBytes(18).toString('hex');
  const trio = await world.startTrio('soak', allOn, { movie: { HEAP_SNAPSHOT_ENABLED: 'true', ADMIN_TOKEN: adminToken } }, { nodeArgs, env: { LOG_LEVEL: logLevel } });
  const movie = trio.movies['movie'] as BenchService;
  const services = { movie, metadata: trio.metadata, rating: trio.rating };
  const cold = idPicker('cold');

  const idle = await memoryLine('movie, started (idle)', movie);
  await steadyLoad(movie.url, cold, 50, WARMUP_SECONDS);
  const saturated = await saturationWindow(movie.url, cold, trio.pids('movie'), 8, SATURATION_SECONDS);
  const rate = Math.max(1, Math.round(saturated.requestsPerSecond * loadShare));
  if (nodeArgs.length > 0) console.log(`node options of the three services: ${nodeArgs.join(' ')}`);
  console.log(`bench/soak: saturation ${saturated.requestsPerSecond.toFixed(0)} req/s (8 connections); soaking at ${rate} req/s (${loadShare * 100} %) for ${minutes} min`);

  const samples: Record<string, MemorySample[]> = { movie: [], metadata: [], rating: [] };
  const p99s: number[] = [];
  let failures = 0;
  let requests = 0;
  const started = Date.now();
  while (Date.now() - started < minutes * 60_000) {
    const chunk = await steadyLoad(movie.url, cold, rate, sampleSeconds);
    failures += chunk.failures;
    requests += chunk.latenciesMs.length + chunk.failures;
    p99s.push(quantile(chunk.latenciesMs, 0.99));
    const minute = (Date.now() - started) / 60_000;
    for (const [name, service] of Object.entries(services)) (samples[name] as MemorySample[]).push(await memoryOf(service, minute));
  }

  console.log(`\n${requests} requests, ${failures} failed; p99 of ${sampleSeconds}-second chunks: median ${quantile(p99s, 0.5).toFixed(1)} ms, worst ${Math.max(...p99s).toFixed(1)} ms`);
  console.log(`memory after the first ${settleMinutes} min (slope of a fitted line; spread = max − min of the samples around it):\n`);
  console.log('service      RSS first→last MiB   RSS MiB/min   RSS spread   heap first→last MiB   heap MiB/min   heap spread');
  for (const [name, all] of Object.entries(samples)) {
    const settled = all.filter((s) => s.minute >= settleMinutes);
    if (settled.length < 2) continue;
    const rss = trend(settled, (s) => s.rssMiB);
    const heap = trend(settled, (s) => s.heapMiB);
    const first = settled[0] as MemorySample;
    const last = settled[settled.length - 1] as MemorySample;
    console.log(
      `${name.padEnd(12)}${`${first.rssMiB.toFixed(0)}→${last.rssMiB.toFixed(0)}`.padStart(19)}${rss.perMinute.toFixed(2).padStart(14)}${rss.spread.toFixed(1).padStart(13)}` +
        `${`${first.heapMiB.toFixed(0)}→${last.heapMiB.toFixed(0)}`.padStart(22)}${heap.perMinute.toFixed(2).padStart(15)}${heap.spread.toFixed(1).padStart(14)}`,
    );
  }

  console.log(`\npeaks in each ${windowMinutes}-minute window after the first ${settleMinutes} min, MiB:\n`);
  const series: Array<[string, (sample: MemorySample) => number]> = [
    ['RSS', (sample) => sample.rssMiB],
    ['V8 heap committed', (sample) => sample.heapCommittedMiB],
    ['malloc arenas', (sample) => sample.mallocMiB],
    ['other anonymous', (sample) => sample.otherAnonymousMiB],
  ];
  for (const [name, all] of Object.entries(samples)) {
    for (const [index, [label, figure]] of series.entries()) {
      const peaks = windowPeaks(all.map((sample) => sample.minute), all.map(figure), settleMinutes, windowMinutes);
      console.log(`${(index === 0 ? name : '').padEnd(10)}${label.padEnd(19)}${peaks.map((window) => window.peak.toFixed(0).padStart(6)).join('')}`);
    }
  }

  if (burstConnections > 0) {
    console.log(`\nmovie under ${burstConnections} connections for ${burstSeconds} s, then idle:\n`);
    console.log(idle);
    console.log(await memoryLine('before the burst', movie));
    const burst = await autocannon({
      url: movie.url,
      connections: burstConnections,
      duration: burstSeconds,
      requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, path: cold() }) }],
    });
    console.log(await memoryLine('end of the burst', movie));
    await sleep(IDLE_AFTER_BURST_SECONDS * 1000);
    console.log(await memoryLine(`${IDLE_AFTER_BURST_SECONDS} s idle after`, movie));
    const snapshot = await fetch(`${movie.adminUrl}/debug/heapsnapshot`, { headers: { authorization: `Bearer ${adminToken}` } });
    await snapshot.body?.pipeTo(new WritableStream());
    console.log(await memoryLine('after a heap snapshot (GC)', movie));
    // The collection arms V8's memory reducer, which hands pooled pages back after its start delay (8 s).
    await sleep(AFTER_SNAPSHOT_SECONDS * 1000);
    console.log(await memoryLine(`${AFTER_SNAPSHOT_SECONDS} s after the snapshot`, movie));
    console.log(`burst: ${burst.requests.total} requests, ${burst.non2xx} non-2xx, ${burst.errors} errors, p99 ${burst.latency.p99} ms`);
  }
});
