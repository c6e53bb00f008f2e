/**
 * bench/overhead: the cost of the kit's telemetry on one endpoint (metadata read, in-memory store).
 * Every mode's process runs for the whole phase; the load moves from one to the next in short windows,
 * round after round, and every figure is reported against bare Koa measured in the same round. This
 * shared VM has slow phases of tens of seconds that can double every cost: windows a few seconds
 * apart see the same phase, minutes apart they do not. Server CPU time per request is the steadiest
 * figure.
 *
 *   npm run bench:overhead [-- --rounds 6 --seconds 3 --warmup 20 --connections 8 --rate 400 --phase both|saturation|latency|profile --floor
 *                              --processes 2
 *                              --modes 'kit, telemetry off;kit, all on, 100%' --baseline /path/to/another/checkout
 *                              --node-args=--max-semi-space-size=8]
 *
 * Every process first serves --warmup seconds of the load it is measured under (saturating, or the
 * steady stream): an instrumented service keeps V8's background threads compiling for 10–25 s under
 * load, and that one-off cost is not what a long-running service pays per request. Each window then
 * starts with a second of unmeasured load, so the process is back from idle when measuring starts.
 *
 * `--processes N` runs N processes of every mode, as N sets: each round measures every process once, and
 * each is compared with the references of its own set, so a figure has rounds × N values. A process keeps
 * an offset of its own for its whole life (docs/performance.md, *Unsampled requests*); with one process
 * per mode that offset sits in every median, with several it shows in the quartiles: two by default.
 *
 * `--floor` adds the kit's telemetry preload on the bare Koa app, at 100 % and 10 % sampling: what the
 * same OpenTelemetry SDK and instrumentations cost with none of the kit's request handling around them.
 * The kit makes the server span itself (its middleware), so on bare Koa these modes make no span at
 * all: they measure the SDK, the preload and the instrumentations' hooks, not a traced request.
 *
 * `--phase profile` takes, instead, a CPU profile of each of the kit service's modes under saturation
 * (`--profile-seconds`, after the warm-up) through the service's own `/debug/pprof/profile`, and prints
 * its hottest functions by self time (`go tool pprof -top`, when Go is installed; the files are kept).
 *
 * `--modes` keeps only the named modes (names separated by `;`; bare Koa, and the references those modes
 * are judged against, always run, and so do the named modes' `--baseline` and `--node-args` variants).
 * `--baseline <dir>` adds the kit modes of another built checkout (`npm run build` there)
 * as `baseline: …`, so a change is measured before and after in one run. `--node-args=<options>` adds
 * the kit modes again started with those Node options, as `<options>: …` (a V8 flag's CPU price in one run).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { freePort, REPOSITORY_ROOT, serviceMain, startProcess, TELEMETRY_PRELOAD, type RunningProcess } from '@cinemetrics/testing';
import { startBenchIdentity, type BenchIdentity } from './bench-identity.js';
import { builtIn, preloadIn } from './checkout.js';
import { startOtlpSink } from './otlp-sink.js';
import { choiceOption, flagOption, nodeArgsOption, numberOption, OptionError, readCommandLine, textOption } from './options.js';
import { cpuSecondsBetween, mainThreadCpuSecondsBetween, readCpu, rssMiB } from './proc-stats.js';
import { median, quantile, quartiles } from './spread.js';
import { steadyLoad } from './steady-load.js';

/** The app a mode runs: the kit's metadata service, or plain Koa serving the same read. */
type App = 'kit' | 'bare';

interface Mode {
  name: string;
  app: App;
  args: string[];
  env: Record<string, string>;
}

interface Sample {
  mode: string;
  round: number;
  cpuMicrosPerRequest: number;
  mainThreadMicrosPerRequest: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMiB: number;
}

const PHASES = ['both', 'saturation', 'latency', 'profile'] as const;
const options = readCommandLine({
  rounds: numberOption(6, { min: 1, max: 100 }),
  seconds: numberOption(3, { min: 1, max: 120 }),
  warmup: numberOption(20, { min: 0, max: 600 }),
  connections: numberOption(8, { min: 1, max: 1000 }),
  rate: numberOption(400, { min: 1, max: 100_000 }),
  phase: choiceOption('both', PHASES),
  'profile-seconds': numberOption(10, { min: 1, max: 300 }),
  floor: flagOption(),
  modes: textOption(),
  baseline: textOption(),
  'node-args': nodeArgsOption(),
  processes: numberOption(2, { min: 1, max: 8 }),
});
const { rounds, processes: processesPerMode, seconds, warmup: warmupSeconds, connections, rate: fixedRate, phase, floor, 'profile-seconds': profileSeconds } = options;
/** Per-round figures pair each process with the references of its own set: one value per round and set. */
const measurements = rounds * processesPerMode;

const main = serviceMain('metadata');
const STOCK_PRELOAD = require.resolve('@opentelemetry/auto-instrumentations-node/register');

const BARE = 'bare koa';
const KIT_OFF = 'kit, telemetry off';
const STOCK = 'stock auto-instr.';
const STOCK_ON_BARE = 'stock on bare koa';

/** What telemetry's cost is measured against, per app: the same app without telemetry, and the stock setup on it. */
const BASELINE: Record<App, string> = { kit: KIT_OFF, bare: BARE };
const STOCK_ON: Record<App, string> = { kit: STOCK, bare: STOCK_ON_BARE };
const REFERENCES = new Set([...Object.values(BASELINE), ...Object.values(STOCK_ON)]);

function modes(sinkUrl: string): Mode[] {
  const bareKoa = path.join(REPOSITORY_ROOT, 'bench/dist/src/bare-koa.js');
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, LOG_FORMAT: 'json' };
  const tenPercent = { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  const stockEnv = { ...exporting, OTEL_METRICS_EXPORTER: 'none' };
  const all: Mode[] = [
    { name: BARE, app: 'bare', args: [bareKoa], env: {} },
    { name: KIT_OFF, app: 'kit', args: [main], env: { OTEL_SDK_DISABLED: 'true', LOG_FORMAT: 'json' } },
    { name: 'kit, all on, 100%', app: 'kit', args: ['--require', TELEMETRY_PRELOAD, main], env: exporting },
    { name: 'kit, all on, 10%', app: 'kit', args: ['--require', TELEMETRY_PRELOAD, main], env: tenPercent },
    // The stock zero-code setup: every default instrumentation, traces and logs over OTLP — on the
    // same service, and on the bare Koa app (what the stock setup alone costs).
    { name: STOCK, app: 'kit', args: ['--require', STOCK_PRELOAD, main], env: stockEnv },
    { name: STOCK_ON_BARE, app: 'bare', args: ['--require', STOCK_PRELOAD, bareKoa], env: stockEnv },
  ];
  if (floor) {
    all.push(
      { name: 'kit preload, bare 100%', app: 'bare', args: ['--require', TELEMETRY_PRELOAD, bareKoa], env: exporting },
      { name: 'kit preload, bare 10%', app: 'bare', args: ['--require', TELEMETRY_PRELOAD, bareKoa], env: tenPercent },
    );
  }
  const kitModes = all.filter((mode) => mode.app === 'kit' && !mode.args.includes(STOCK_PRELOAD));
  if (options.baseline) all.push(...baselineModes(options.baseline, kitModes));
  const nodeArgs = options['node-args'];
  if (nodeArgs.length > 0) all.push(...withNodeArgs(nodeArgs, kitModes));
  return selected(all);
}

/** A kit mode run another way (another checkout, other Node options) is named `<variant>: <mode>`. */
const VARIANT_SEPARATOR = ': ';
const BASELINE_VARIANT = 'baseline';

/** The same app without telemetry, run the same way as the mode. */
function telemetryOffOf(name: string, app: App): string {
  const variant = name.includes(VARIANT_SEPARATOR) ? name.slice(0, name.indexOf(VARIANT_SEPARATOR)) : undefined;
  return variant === undefined ? BASELINE[app] : `${variant}${VARIANT_SEPARATOR}${KIT_OFF}`;
}

/** The kit modes again, started with these Node options before anything else. */
function withNodeArgs(nodeArgs: string[], kitModes: Mode[]): Mode[] {
  return kitModes.map((mode) => ({ ...mode, name: `${nodeArgs.join(' ')}${VARIANT_SEPARATOR}${mode.name}`, args: [...nodeArgs, ...mode.args] }));
}

/** The kit modes again, run from another built checkout. */
function baselineModes(directory: string, kitModes: Mode[]): Mode[] {
  const baselineMain = builtIn(directory, main);
  const preload = preloadIn(directory);
  return kitModes.map((mode) => ({
    ...mode,
    name: `${BASELINE_VARIANT}${VARIANT_SEPARATOR}${mode.name}`,
    args: mode.args.map((arg) => (arg === main ? baselineMain : arg === TELEMETRY_PRELOAD ? preload : arg)),
  }));
}

/** The modes asked for with --modes, and the references they are measured against. */
function selected(all: Mode[]): Mode[] {
  if (!options.modes) return all;
  const wanted = new Set(options.modes.split(';').map((name) => name.trim()));
  const unknown = [...wanted].filter((name) => !all.some((mode) => mode.name === name));
  if (unknown.length > 0) throw new OptionError(`--modes: no mode named ${unknown.join(', ')}; modes are: ${all.map((mode) => mode.name).join(', ')}`);
  // A mode's --baseline and --node-args variants come with it.
  const isWanted = (name: string): boolean => {
    const variantOf = name.indexOf(VARIANT_SEPARATOR);
    return wanted.has(name) || (variantOf >= 0 && wanted.has(name.slice(variantOf + VARIANT_SEPARATOR.length)));
  };
  const kept = all.filter((mode) => isWanted(mode.name));
  // Each mode needs the same app without telemetry from its own checkout; telemetry modes also the stock setup.
  const references = new Set([
    BARE,
    ...kept.flatMap(({ name, app }) => {
      const telemetryOff = telemetryOffOf(name, app);
      return name === telemetryOff ? [] : [telemetryOff, STOCK_ON[app]];
    }),
  ]);
  return all.filter((mode) => isWanted(mode.name) || references.has(mode.name));
}

interface RunningMode {
  mode: Mode;
  /** Which set of processes (`--processes`) it belongs to. */
  set: number;
  process: RunningProcess;
  url: string;
  adminUrl: string;
}

let identity: BenchIdentity | undefined;

const PATH = '/metadata/bench-1';
const LEAD_IN_SECONDS = 1;

async function start(mode: Mode, set = 0): Promise<RunningMode> {
  const port = await freePort();
  const adminPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await startProcess({
    name: mode.name,
    args: mode.args,
    env: { ...mode.env, ...identity?.env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'info' },
    readyUrl: `${url}/.well-known/health`,
    stdout: 'drain',
  });
  if (mode.app === 'kit') {
    const response = await fetch(`${url}${PATH}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...identity?.admin },
      body: JSON.stringify({ title: 'Heat', year: 1995, director: 'Michael Mann', actors: ['Al Pacino'] }),
    });
    if (response.status >= 300) throw new Error(`${mode.name}: seeding failed with ${response.status}`);
  }
  return { mode, set, process, url, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/**
 * Starts every mode's processes, warms each up, then runs rounds of one window per process (the order
 * rotating, so no mode always comes first or last), and stops them all whatever happens. A sample's
 * `round` is the measurement index: the round and the process's set together.
 */
async function inRounds<T>(
  all: Mode[],
  warmUp: (r: RunningMode) => Promise<unknown>,
  window: (r: RunningMode) => Promise<T>,
): Promise<(T & { mode: string; round: number })[]> {
  const running: RunningMode[] = [];
  const samples: (T & { mode: string; round: number })[] = [];
  try {
    for (let set = 0; set < processesPerMode; set += 1) for (const mode of all) running.push(await start(mode, set));
    for (const r of running) await warmUp(r);
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < running.length; i += 1) {
        const r = running[(i + round) % running.length] as RunningMode;
        samples.push({ ...(await window(r)), mode: r.mode.name, round: round * processesPerMode + r.set });
      }
      process.stderr.write(`round ${round + 1} of ${rounds} done\n`);
    }
    return samples;
  } finally {
    await Promise.all(running.map((r) => r.process.stop()));
  }
}

function load(url: string, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${url}${PATH}`, connections, duration: durationSeconds });
}

async function saturationWindow({ mode, process, url }: RunningMode): Promise<Omit<Sample, 'mode' | 'round'>> {
  await load(url, LEAD_IN_SECONDS);
  const before = readCpu(process.pid);
  const result = await load(url, seconds);
  const after = readCpu(process.pid);
  const total = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    cpuMicrosPerRequest: (cpuSecondsBetween(before, after) * 1e6) / total,
    mainThreadMicrosPerRequest: (mainThreadCpuSecondsBetween(before, after) * 1e6) / total,
    requestsPerSecond: total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMiB: rssMiB(process.pid),
  };
}

/** p50 and p99 under an open-loop stream of evenly spaced requests (see steady-load.ts). */
async function latencyWindow({ mode, url }: RunningMode): Promise<{ p50: number; p99: number }> {
  await steadyLoad(url, PATH, fixedRate, LEAD_IN_SECONDS);
  const { latenciesMs, failures } = await steadyLoad(url, PATH, fixedRate, seconds);
  if (failures > 0) throw new Error(`${mode.name}: ${failures} failed requests at ${fixedRate} req/s`);
  return { p50: quantile(latenciesMs, 0.5), p99: quantile(latenciesMs, 0.99) };
}

/** The mode-name column: wide enough for the longest name that runs. */
let nameWidth = 22;
const fmt = (value: number, digits = 1) => value.toFixed(digits).padStart(8);
const fmtQuartiles = (values: [number, number, number], digits: number) => values.map((value) => fmt(value, digits)).join('');

/** Reads one mode's sample of one round, and medians and quartiles over rounds of per-round figures. */
function byRound<T extends { mode: string; round: number }>(samples: T[]) {
  const sampleOf = (mode: string, round: number) => samples.find((s) => s.mode === mode && s.round === round) as T;
  const medianOf = (mode: string, value: (s: T) => number) => median(samples.filter((s) => s.mode === mode).map(value));
  const overRounds = (figure: (round: number) => number) => Array.from({ length: measurements }, (_, round) => figure(round));
  const medianOverRounds = (figure: (round: number) => number) => median(overRounds(figure));
  const quartilesOverRounds = (figure: (round: number) => number) => quartiles(overRounds(figure));
  return { sampleOf, medianOf, medianOverRounds, quartilesOverRounds };
}

async function saturation(all: Mode[]): Promise<void> {
  const samples: Sample[] = await inRounds(all, (r) => load(r.url, warmupSeconds), saturationWindow);
  const { sampleOf, medianOf, medianOverRounds, quartilesOverRounds } = byRound(samples);
  const cpu = (mode: string, round: number) => sampleOf(mode, round).cpuMicrosPerRequest;
  // Telemetry's cost is what it adds to the same app; what the stock setup adds to that app is the yardstick.
  const addedCpu = (name: string, app: App) => (round: number) => cpu(name, round) - cpu(telemetryOffOf(name, app), round);
  const shareOfStock = ({ name, app }: Mode) => (round: number) => addedCpu(name, app)(round) / addedCpu(STOCK_ON[app], app)(round);
  const throughputOfBare = (name: string) => (round: number) => sampleOf(name, round).requestsPerSecond / sampleOf(BARE, round).requestsPerSecond;
  console.log(`\nbench/overhead, saturation: ${rounds} rounds of ${seconds}-second windows per mode × ${processesPerMode} process(es) after ${warmupSeconds} s of warm-up each, ${connections} connections, GET /metadata/:id\n`);
  console.log(`${'mode'.padEnd(nameWidth)}  CPU µs/req   ×bare  telemetry µs  ÷stock   main µs/req     req/s   ×bare   p50 ms   p99 ms   RSS MiB`);
  for (const mode of all) {
    const { name } = mode;
    const telemetryOff = name === telemetryOffOf(name, mode.app);
    const added = telemetryOff ? '        -     ' : fmt(medianOverRounds(addedCpu(name, mode.app))) + '     ';
    const ratio = telemetryOff || !all.some((m) => m.name === STOCK_ON[mode.app]) ? '       -' : fmt(medianOverRounds(shareOfStock(mode)), 2);
    console.log(
      `${name.padEnd(nameWidth)}${fmt(medianOf(name, (s) => s.cpuMicrosPerRequest))}${fmt(medianOverRounds((round) => cpu(name, round) / cpu(BARE, round)), 2)}${added}${ratio}      ` +
        `${fmt(medianOf(name, (s) => s.mainThreadMicrosPerRequest))}  ${fmt(medianOf(name, (s) => s.requestsPerSecond), 0)}` +
        `${fmt(medianOverRounds(throughputOfBare(name)), 2)}` +
        `${fmt(medianOf(name, (s) => s.p50), 2)}${fmt(medianOf(name, (s) => s.p99), 2)}${fmt(medianOf(name, (s) => s.rssMiB), 0)}`,
    );
  }
  console.log('\nAbsolute figures are medians over rounds; ratios and differences are medians of the per-round values:');
  console.log('telemetry µs = mode − the same app without telemetry (kit off, or bare Koa); ÷stock = that ÷ what the stock');
  console.log('setup adds to the same app; ×bare = mode ÷ bare in the same round.');
  // The targets are judged on these two figures; their spread over rounds says how far the median can be trusted.
  console.log(`\nSpread over rounds${processesPerMode > 1 ? ' and processes' : ''} (first quartile, median, third quartile):\n`);
  const quartileLabels = ['q1', 'median', 'q3'].map((label) => label.padStart(8)).join('');
  console.log(`${''.padEnd(nameWidth)}${'÷stock'.padStart(24)}  ${'req/s ×bare'.padStart(24)}`);
  console.log(`${'mode'.padEnd(nameWidth)}${quartileLabels}  ${quartileLabels}`);
  const ran = new Set(all.map(({ name }) => name));
  for (const mode of all.filter(({ name }) => name !== BARE && (name === KIT_OFF || !REFERENCES.has(name)))) {
    const judgedOnStock = mode.name !== telemetryOffOf(mode.name, mode.app) && ran.has(STOCK_ON[mode.app]);
    const stockShare = judgedOnStock ? fmtQuartiles(quartilesOverRounds(shareOfStock(mode)), 2) : '-'.padStart(24);
    console.log(`${mode.name.padEnd(nameWidth)}${stockShare}  ${fmtQuartiles(quartilesOverRounds(throughputOfBare(mode.name)), 2)}`);
  }
}

async function latency(all: Mode[]): Promise<void> {
  const measured = all.filter((m) => m.name !== STOCK_ON_BARE);
  const samples = await inRounds(measured, (r) => steadyLoad(r.url, PATH, fixedRate, warmupSeconds), latencyWindow);
  const { sampleOf, medianOf, quartilesOverRounds } = byRound(samples);
  console.log(`\nOpen loop, ${fixedRate} req/s evenly spaced: ${rounds} rounds of ${seconds}-second windows per mode after ${warmupSeconds} s of warm-up each\n`);
  console.log(`${'mode'.padEnd(nameWidth)}  p50 ms   p99 ms   p99 − bare: q1, median, q3   p99 of each window`);
  for (const { name } of measured) {
    const overBare = quartilesOverRounds((round) => sampleOf(name, round).p99 - sampleOf(BARE, round).p99);
    const windows = samples.filter((s) => s.mode === name).map((s) => s.p99.toFixed(1)).join(' ');
    const spread = name === BARE ? '-'.padStart(8).padEnd(24) : fmtQuartiles(overBare, 2);
    console.log(`${name.padEnd(nameWidth)}${fmt(medianOf(name, (s) => s.p50), 2)} ${fmt(medianOf(name, (s) => s.p99), 2)}  ${spread}       ${windows}`);
  }
}

const PROFILE_TOKEN = randomBytes(24).toString('hex');
const TOP_FRAMES = 15;

/** Each kit mode's CPU profile under saturation, taken by the service's own profiling endpoint, and its top frames. */
async function profiles(all: Mode[]): Promise<void> {
  const profiled = all.filter((mode) => mode.app === 'kit' && !mode.name.includes(VARIANT_SEPARATOR));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cinemetrics-bench-profiles-'));
  console.log(`\nCPU profiles, ${profileSeconds} s of saturation after ${warmupSeconds} s of warm-up each, in ${dir}`);
  for (const mode of profiled) {
    const running = await start({ ...mode, env: { ...mode.env, ADMIN_TOKEN: PROFILE_TOKEN } });
    try {
      await load(running.url, warmupSeconds);
      const [response] = await Promise.all([
        fetch(`${running.adminUrl}/debug/pprof/profile?seconds=${profileSeconds}&labels=false`, { headers: { authorization: `Bearer ${PROFILE_TOKEN}` } }),
        load(running.url, profileSeconds + LEAD_IN_SECONDS),
      ]);
      if (!response.ok) throw new Error(`${mode.name}: the profile request gave ${response.status} ${await response.text()}`);
      const file = path.join(dir, `${mode.name.replace(/[^a-z0-9]+/gi, '-')}.pb.gz`);
      await writeFile(file, Buffer.from(await response.arrayBuffer()));
      console.log(`\n${mode.name} (${file}):\n${await topFrames(file)}`);
    } finally {
      await running.process.stop();
    }
  }
}

/** `go tool pprof -top` by CPU self time, or why it could not run. */
async function topFrames(file: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('go', ['tool', 'pprof', '-top', `-nodecount=${TOP_FRAMES}`, '-sample_index=cpu', file], { env: { ...process.env, GOTOOLCHAIN: 'local' } });
    const header = stdout.split('\n').findIndex((line) => line.trim().startsWith('flat'));
    return stdout.split('\n').slice(Math.max(header - 1, 0)).join('\n').trimEnd();
  } catch (error) {
    return `(go tool pprof could not read it: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}; open the file with any pprof viewer)`;
  }
}

async function run(): Promise<void> {
  identity = await startBenchIdentity();
  const sink = await startOtlpSink();
  try {
    const all = modes(sink.url);
    nameWidth = Math.max(nameWidth, ...all.map(({ name }) => name.length + 2));
    if (phase === 'both' || phase === 'saturation') await saturation(all);
    if (phase === 'both' || phase === 'latency') await latency(all);
    if (phase === 'profile') await profiles(all);
    console.log(`\nOTLP exports received by the sink: ${sink.requests()}`);
  } finally {
    await sink.close();
    await identity.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof OptionError) process.stderr.write(`bench:overhead: ${error.message}\n`);
  else console.error(error);
  process.exit(error instanceof OptionError ? 2 : 1);
});
