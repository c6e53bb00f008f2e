/** The shapes of a Prometheus rule file, and the clock that renders its windows. */
import { scaleDuration } from './duration.js';

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export interface RuleFile {
  /** Path relative to the repository root, e.g. alerts/slo-movie-availability.rules.yml. */
  path: string;
  /** What the file holds, for its header comment. */
  title: string;
  groups: RuleGroup[];
}

export interface GenerateOptions {
  /**
   * Divide every range window and `for` duration by this factor (default 1: the real rules).
   * Rule and series names keep their nominal windows (`ratio_rate1h` covers 1h / factor), so the
   * live test exercises the very expressions production runs, only faster.
   */
  timeScale?: number;
}

/** Renders windows and `for` durations, time-scaled when asked. */
export class Clock {
  constructor(readonly factor = 1) {
    if (!(factor >= 1) || !Number.isFinite(factor)) throw new Error(`time scale must be a number ≥ 1, got ${factor}`);
  }
  window(duration: string): string {
    return this.factor === 1 ? duration : scaleDuration(duration, this.factor);
  }
}
