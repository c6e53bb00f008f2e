/**
 * bench/alerts: for every SLO, how long after a total outage begins each of its paging alerts fires —
 * computed with the real promtool (the stack's build) from the generated rules, not by hand.
 *
 *   npm run bench:alerts [-- --max-minutes 60 --rps 10 --concurrency 2 --minutes 20]
 *
 * For each SLO and each page burn-rate rule, a promtool unit test feeds the SLO's request counters at
 * Prometheus's scrape and evaluation interval: healthy traffic for the rule's long window, then every
 * request bad (answered 503 for availability, slower than the threshold for latency). It asks whether the
 * rule's alert is firing (`ALERTS{alertstate="firing"}`) a given number of steps after the first scrape
 * that sees the outage; a binary search over 0…--max-minutes finds the first such step. Only the SLO's own
 * rule group is loaded, so each promtool run evaluates the rules that matter. Near its `--minutes` bound it
 * starts no promtool run that could not finish in time: the searches left are reported as not measured.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDefinitions, parseDuration, sloRulesPath, type BurnRateAlert, type Slo } from '@cinemetrics/slo';
import { makeTempDir, REPOSITORY_ROOT, stackBinary } from '@cinemetrics/testing';
import { parse } from 'yaml';
import { alertSelector, firingTest, firstFiringStep, type OutageScenario } from './alert-search.js';
import { runBench } from './lifetime.js';
import { numberOption, readCommandLine } from './options.js';

const {
  'max-minutes': maxMinutes,
  rps: requestsPerSecond,
  concurrency,
  minutes,
} = readCommandLine({
  'max-minutes': numberOption(60, { min: 1, max: 24 * 60 }),
  rps: numberOption(10, { min: 1, max: 100_000 }),
  concurrency: numberOption(2, { min: 1, max: 16 }),
  minutes: numberOption(20, { min: 1, max: 600 }),
});

const execFileAsync = promisify(execFile);

/** Prometheus's evaluation interval, from the configuration the stack runs (scraping uses the same). */
function evaluationIntervalSeconds(): number {
  const config = parse(readFileSync(path.join(REPOSITORY_ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as { global?: { evaluation_interval?: string } };
  return parseDuration(config.global?.evaluation_interval ?? '1m') / 1000;
}

interface Search {
  slo: Slo;
  alert: BurnRateAlert;
}

interface Found extends Search {
  /** Steps after the outage's first scrape; undefined when not firing within --max-minutes. */
  step: number | undefined;
  runs: number;
  /** False when the bench's time bound came before the search ended. */
  measured: boolean;
}

/** Thrown instead of starting a promtool run the time left could not finish. */
class OutOfTime extends Error {}

/** Time kept back at the end of the bound for printing the results and stopping. */
const REPORT_SECONDS = 10;

const formatSeconds = (seconds: number): string => `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;

async function inPool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
  return results;
}

runBench('bench:alerts', minutes * 60, async (lifetime) => {
  const promtool = await stackBinary('prometheus', 'promtool');
  const { slo: definitions } = loadDefinitions();
  const stepSeconds = evaluationIntervalSeconds();
  const dir = await makeTempDir('cinemetrics-bench-alerts-');
  lifetime.onStop(() => dir.remove());

  const searches: Search[] = definitions.slos.flatMap((slo) => definitions.burnRateAlerts.filter((alert) => alert.severity === 'page').map((alert) => ({ slo, alert })));
  const maxSteps = Math.round((maxMinutes * 60) / stepSeconds);
  let file = 0;
  let longestRunSeconds = 0;
  const found = await inPool(searches, concurrency, async ({ slo, alert }): Promise<Found> => {
    // The committed file of this SLO alone: promtool evaluates every rule it loads at every step.
    const ruleFile = path.join(REPOSITORY_ROOT, sloRulesPath(slo.name));
    if (!existsSync(ruleFile)) throw new Error(`${sloRulesPath(slo.name)} does not exist; run npm run rules`);
    const scenario: OutageScenario = {
      slo,
      sli: definitions.sli,
      stepSeconds,
      healthySteps: Math.ceil(parseDuration(alert.longWindow) / 1000 / stepSeconds),
      outageSteps: maxSteps + 1,
      requestsPerSecond,
    };
    let runs = 0;
    const probe = async (candidate: number): Promise<boolean> => {
      // A run as long as the longest so far, twice over (two run side by side), must fit in what is left.
      if (lifetime.secondsLeft() < 2 * longestRunSeconds + REPORT_SECONDS) throw new OutOfTime();
      runs += 1;
      file += 1;
      const testFile = path.join(dir.path, `probe-${file}.test.yml`);
      await writeFile(testFile, firingTest(scenario, ruleFile, alertSelector(slo, alert), candidate));
      const started = performance.now();
      try {
        await execFileAsync(promtool, ['test', 'rules', testFile], { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
        return true;
      } catch (error) {
        // promtool prints a failed expectation to stderr, its progress to stdout.
        const output = error instanceof Error && 'stdout' in error && 'stderr' in error ? `${String(error.stdout)}${String(error.stderr)}` : '';
        if (/got: nil|exp: .*\n\s*got:/.test(output)) return false;
        throw new Error(`promtool test rules ${testFile} failed unexpectedly: ${String(error)}\n${output}`);
      } finally {
        longestRunSeconds = Math.max(longestRunSeconds, (performance.now() - started) / 1000);
      }
    };
    let step: number | undefined;
    try {
      step = await firstFiringStep(maxSteps, probe);
    } catch (error) {
      if (!(error instanceof OutOfTime)) throw error;
      process.stderr.write(`${slo.name}, ${alert.longWindow}/${alert.shortWindow}: not measured, the bench's bound of ${minutes} min came first\n`);
      return { slo, alert, step: undefined, runs, measured: false };
    }
    process.stderr.write(`${slo.name}, ${alert.longWindow}/${alert.shortWindow}: ${step === undefined ? 'not within bound' : formatSeconds(step * stepSeconds)} (${runs} promtool runs)\n`);
    return { slo, alert, step, runs, measured: true };
  });

  console.log(`\nbench/alerts: time from a total outage to the page, per SLO (promtool test rules on alerts/slo-<name>.rules.yml; ${stepSeconds} s scrape and evaluation interval, ${requestsPerSecond} req/s)\n`);
  console.log('SLO                      objective  page rule (burn × over long / short, for)   fires after the outage\'s first scrape   promtool runs');
  for (const { slo, alert, step, runs, measured } of found) {
    const rule = `${alert.burnRate}× over ${alert.longWindow} / ${alert.shortWindow}, for ${alert.for}`;
    const when = !measured ? 'not measured (--minutes)' : step === undefined ? `not within ${maxMinutes} min` : formatSeconds(step * stepSeconds);
    console.log(`${slo.name.padEnd(25)}${`${slo.objective} %`.padStart(9)}  ${rule.padEnd(44)}${when.padStart(22)}${String(runs).padStart(22)}`);
  }
  const firstPages = definitions.slos.map((slo) => {
    const own = found.filter((f) => f.slo === slo);
    const steps = own.filter((f) => f.step !== undefined).map((f) => f.step as number);
    if (steps.length > 0) return `${slo.name} ${formatSeconds(Math.min(...steps) * stepSeconds)}`;
    return `${slo.name} ${own.every((f) => f.measured) ? 'none' : 'not measured'}`;
  });
  console.log(`\nfirst page per SLO: ${firstPages.join('; ')}`);
});
