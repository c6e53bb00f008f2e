/**
 * Each lane's run ends with its own counters (`tests 714`, `pass 713`, `fail 1`, …): printed as they
 * come, the last ones on the screen would be one lane's, and could read `fail 0` while the other lane
 * failed. The runner takes them out of both reports and prints the sums once, at the end. Each lane
 * still lists its own failing tests when it ends.
 */
export interface TestEvent {
  type: string;
  data: { nesting?: number; file?: string; message?: string };
}

const COUNTERS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
const RUN_COUNTER = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;

export class RunTotals {
  private readonly sums = new Map<string, number>(COUNTERS.map((name) => [name, 0]));

  constructor(private readonly started = performance.now()) {}

  /** True for a run's own counter (then added to the sums): the report leaves it out. */
  took(event: TestEvent): boolean {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0 || event.data.file !== undefined) return false;
    const counter = RUN_COUNTER.exec(event.data.message ?? '');
    if (!counter) return false;
    const [, name = '', value = '0'] = counter;
    if (name !== 'duration_ms') this.sums.set(name, (this.sums.get(name) ?? 0) + Number(value));
    return true;
  }

  /** Both lanes' counters summed, and the whole run's duration, as the spec reporter prints them. */
  summary(now = performance.now()): string {
    const lines = [...this.sums].map(([name, value]) => `ℹ ${name} ${value}`);
    return `\n${[...lines, `ℹ duration_ms ${(now - this.started).toFixed(0)}`].join('\n')}\n`;
  }
}
