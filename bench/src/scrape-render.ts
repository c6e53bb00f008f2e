/**
 * bench/scrape-render: what one render of a busy movie's registry costs the kit (`renderRegistry`)
 * against prom-client's own `registry.metrics()`, in both formats: microseconds and heap allocated per
 * render. What a scrape allocates decides how often a scrape is the one that fills the young generation
 * and pays for its collection (docs/performance.md, *Scrape*).
 *
 *   npm run bench:scrape-render [-- --rounds 9 --renders 200]
 *
 * The registry is the kit's own (its metrics and prom-client's default ones) with the series a movie
 * instance has after bench/scrape's drive: every route and status, both peers with their failures.
 * Allocation is the growth of the V8 heap over a render in a process started with a young generation
 * large enough that no collection runs during one (the bench runs itself in such a child); renders that
 * saw a collection anyway are left out. Arms alternate within each round; the report is the median over
 * rounds.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { circuitBreakerState, contentTypeOf, httpClientDuration, httpClientRetries, httpServerDuration, registry, renderRegistry, type MetricsFormat } from '@cinemetrics/kit';
import { flagOption, numberOption, readCommandLine } from './options.js';
import { median } from './spread.js';

const CHILD_FLAG = 'scrape-render-child';
const {
  rounds,
  renders,
  [CHILD_FLAG]: isChild,
} = readCommandLine({
  rounds: numberOption(9, { min: 1, max: 1000 }),
  renders: numberOption(200, { min: 10, max: 100_000 }),
  [CHILD_FLAG]: flagOption(),
});

/** Large enough that a render's garbage never fills it: no scavenge runs inside a measured render. */
const YOUNG_GENERATION_ARGS = ['--max-semi-space-size=256', '--min-semi-space-size=256'];

/** The series movie's registry holds after bench/scrape's drive (*Scrape*: 348 series in 56 families). */
function fillLikeMovie(): void {
  const answers: Array<[string, string[]]> = [
    ['/movies/:id', ['200', '400', '401', '404', '503']],
    ['/.well-known/health', ['200']],
    ['', ['404', '405']],
  ];
  for (const [route, statuses] of answers) {
    for (const status of statuses) {
      const labels = { http_request_method: 'GET', http_route: route, http_response_status_code: status };
      // Sampled requests leave an exemplar in their bucket; OpenMetrics prints it.
      httpServerDuration.observe({ labels, value: 0.03, exemplarLabels: { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) } as never });
    }
  }
  for (const peer of ['metadata', 'rating']) {
    for (const [status, errorType] of [['200', ''], ['404', '404'], ['503', '503'], ['', 'ECONNREFUSED'], ['', 'timeout']] as const) {
      httpClientDuration.observe({ peer_service: peer, http_request_method: 'GET', http_response_status_code: status, error_type: errorType }, 0.02);
    }
    httpClientRetries.inc({ peer_service: peer });
    for (const state of ['closed', 'open', 'half_open']) circuitBreakerState.set({ peer_service: peer, state }, state === 'closed' ? 1 : 0);
  }
}

interface Arm {
  name: string;
  render: () => Promise<string>;
}

function arms(): Arm[] {
  const promClient = (format: MetricsFormat) => async () => {
    registry.setContentType(contentTypeOf(format));
    return registry.metrics();
  };
  // yieldingMs 0: the kit's render without turns given to other work, as prom-client's.
  const kit = (format: MetricsFormat) => () => renderRegistry(registry, format, { yieldingMs: 0 });
  return [
    { name: 'prom-client, Prometheus text', render: promClient('prometheus') },
    { name: 'kit, Prometheus text', render: kit('prometheus') },
    { name: 'prom-client, OpenMetrics', render: promClient('openmetrics') },
    { name: 'kit, OpenMetrics', render: kit('openmetrics') },
  ];
}

interface Sample {
  micros: number;
  kib: number;
}

async function measure(arm: Arm): Promise<Sample> {
  const micros: number[] = [];
  const kib: number[] = [];
  for (let index = 0; index < renders; index += 1) {
    const heapBefore = getHeapStatistics().used_heap_size;
    const started = performance.now();
    const text = await arm.render();
    const took = performance.now() - started;
    const grown = getHeapStatistics().used_heap_size - heapBefore;
    if (text.length === 0) throw new Error(`${arm.name}: an empty render`);
    micros.push(took * 1000);
    // A negative growth means a collection ran during the render: its allocation is unknown.
    if (grown >= 0) kib.push(grown / 1024);
  }
  return { micros: median(micros), kib: median(kib) };
}

/**
 * The lines of the kit's histograms: their values do not move between two renders (the runtime's do), and
 * prom-client names counters differently (the kit adds `_total` in the Prometheus format, as Prometheus expects).
 */
function kitsFamilies(text: string | undefined): string {
  return (text ?? '')
    .split('\n')
    .filter((line) => /^(# (HELP|TYPE) )?http_(server|client)_request_duration_seconds/.test(line))
    .join('\n');
}

async function child(): Promise<void> {
  fillLikeMovie();
  const all = arms();
  const [prometheus, openmetrics] = [await all[0]?.render(), await all[2]?.render()];
  if (kitsFamilies(prometheus) !== kitsFamilies(await all[1]?.render()) || kitsFamilies(openmetrics) !== kitsFamilies(await all[3]?.render())) {
    throw new Error('the kit and prom-client render different texts');
  }
  for (const arm of all) await measure(arm);
  const results = new Map<string, Sample[]>(all.map((arm) => [arm.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const arm of round % 2 === 0 ? all : [...all].reverse()) results.get(arm.name)?.push(await measure(arm));
  }
  const lines = (prometheus ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  console.log(`bench/scrape-render: ${lines} series lines, ${((prometheus ?? '').length / 1024).toFixed(0)} KiB of Prometheus text; ${rounds} rounds of ${renders} renders per arm\n`);
  console.log('arm                              µs/render   KiB allocated/render   × prom-client (µs, KiB)');
  const summary = [...results].map(([name, samples]) => ({ name, micros: median(samples.map((s) => s.micros)), kib: median(samples.map((s) => s.kib)) }));
  for (const [index, arm] of summary.entries()) {
    const baseline = summary[index - (index % 2)] as (typeof summary)[number];
    const ratio = index % 2 === 1 ? `${(arm.micros / baseline.micros).toFixed(2)}, ${(arm.kib / baseline.kib).toFixed(2)}` : '-';
    console.log(`${arm.name.padEnd(32)}${arm.micros.toFixed(0).padStart(10)}${arm.kib.toFixed(0).padStart(23)}   ${ratio}`);
  }
}

async function main(): Promise<void> {
  if (isChild) return child();
  const measuring = fork(__filename, [...process.argv.slice(2), `--${CHILD_FLAG}`], { execArgv: [...process.execArgv, ...YOUNG_GENERATION_ARGS], stdio: 'inherit' });
  const [code] = (await once(measuring, 'exit')) as [number | null];
  process.exitCode = code ?? 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
