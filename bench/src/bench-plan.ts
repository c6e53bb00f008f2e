/** What `npm run bench` runs: each bench in short settings, with its share of the total time bound. */
import { OptionError } from './options.js';

export interface PlannedBench {
  name: string;
  /** The compiled script, relative to bench/dist/src. */
  script: string;
  args: string[];
  /** Relative share of the time bound; a bench still running past its share is stopped. */
  weight: number;
}

/** A bench's own `--minutes` bound is set from its share, so it stops itself before it would be stopped. */
const BOUNDED_BY_MINUTES = new Set(['fanout', 'collector', 'scrape', 'alerts']);

export const PLAN: readonly PlannedBench[] = [
  { name: 'fanout', script: 'fanout.js', args: ['--rounds', '2', '--seconds', '2', '--warmup', '8', '--replicas', '1'], weight: 8 },
  { name: 'collector', script: 'collector.js', args: ['--rounds', '2', '--seconds', '5', '--warmup', '5', '--latency-seconds', '2'], weight: 5 },
  { name: 'scrape', script: 'scrape.js', args: ['--scrapes', '60'], weight: 3 },
  { name: 'soak', script: 'soak.js', args: ['--minutes', '2', '--settle', '0.5', '--burst-seconds', '10'], weight: 5 },
  { name: 'alerts', script: 'alerts.js', args: ['--max-minutes', '40'], weight: 6 },
  { name: 'overhead', script: 'overhead.js', args: ['--rounds', '2', '--seconds', '2', '--warmup', '5'], weight: 5 },
  { name: 'startup', script: 'startup.js', args: ['--rounds', '1'], weight: 2 },
  { name: 'client', script: 'client-calls.js', args: ['--rounds', '2', '--calls', '2000', '--warmup', '500'], weight: 2 },
];

/** The benches named in `only` (all when empty), each with its share of `minutes` in seconds and its arguments. */
export function schedule(minutes: number, only: readonly string[] = []): (PlannedBench & { seconds: number })[] {
  const unknown = only.filter((name) => !PLAN.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new OptionError(`--only: no bench named ${unknown.join(', ')}; benches are ${PLAN.map((b) => b.name).join(', ')}`);
  const chosen = PLAN.filter((bench) => only.length === 0 || only.includes(bench.name));
  const total = chosen.reduce((sum, bench) => sum + bench.weight, 0);
  return chosen.map((bench) => {
    const seconds = Math.floor((minutes * 60 * bench.weight) / total);
    const args = BOUNDED_BY_MINUTES.has(bench.name) ? [...bench.args, '--minutes', String(Math.max(1, Math.floor(seconds / 60)))] : bench.args;
    return { ...bench, args, seconds };
  });
}
