/**
 * The promtool unit test that asks "is this SLO's page alert firing at this time, in a total outage that
 * starts after hours of healthy traffic?", and the bounded binary search over that question. Pure text
 * building and search; alerts.ts runs promtool.
 */
import type { BurnRateAlert, Slo, SloDefinitions } from '@cinemetrics/slo';

export interface OutageScenario {
  slo: Slo;
  sli: SloDefinitions['sli'];
  /** Seconds between samples and between rule evaluations (Prometheus's scrape and evaluation interval). */
  stepSeconds: number;
  /** Healthy samples before the outage (the longest window the alerts read, or more). */
  healthySteps: number;
  /** Samples of outage, covering the longest time searched. */
  outageSteps: number;
  /** Requests per second, healthy and during the outage. */
  requestsPerSecond: number;
}

const ROUTE = '/movies/:id';

function labels(scenario: OutageScenario, extra: Record<string, string>): string {
  const all = { job: 'cinemetrics', instance: `${scenario.slo.service}:9000`, service: scenario.slo.service, http_request_method: 'GET', http_route: ROUTE, ...extra };
  return `{${Object.entries(all).map(([key, value]) => `${key}="${value}"`).join(',')}}`;
}

/**
 * Counter series: every request good until the outage, every request bad from its first sample on.
 * Availability: all answered 503. Latency: all slower than the SLO's threshold.
 */
export function outageSeries(scenario: OutageScenario): { series: string; values: string }[] {
  const { healthySteps: healthy, outageSteps: outage } = scenario;
  const perStep = scenario.requestsPerSecond * scenario.stepSeconds;
  const metric = scenario.sli.metric;
  const growing = `0+${perStep}x${healthy} ${perStep * (healthy + 1)}+${perStep}x${outage - 1}`;
  const flatAfterHealthy = `0+${perStep}x${healthy} ${perStep * healthy}x${outage - 1}`;
  if (scenario.slo.sli === 'availability') {
    return [
      { series: `${metric}_count${labels(scenario, { http_response_status_code: '200' })}`, values: flatAfterHealthy },
      { series: `${metric}_count${labels(scenario, { http_response_status_code: '503' })}`, values: `0x${healthy} ${perStep}+${perStep}x${outage - 1}` },
    ];
  }
  const threshold = String(scenario.slo.threshold);
  return [
    { series: `${metric}_count${labels(scenario, { http_response_status_code: '200' })}`, values: growing },
    { series: `${metric}_bucket${labels(scenario, { http_response_status_code: '200', le: threshold })}`, values: flatAfterHealthy },
    { series: `${metric}_bucket${labels(scenario, { http_response_status_code: '200', le: '+Inf' })}`, values: growing },
  ];
}

/** The alert's selector: the SLO's firing alerts of one burn-rate rule (by its long window), or of any page rule. */
export function alertSelector(slo: Slo, alert?: BurnRateAlert): string {
  const window = alert === undefined ? '' : `,long_window="${alert.longWindow}"`;
  return `ALERTS{alertstate="firing",severity="page",slo="${slo.name}"${window}}`;
}

/** A promtool test file: firing at `afterOutageSteps` steps past the outage's first sample? */
export function firingTest(scenario: OutageScenario, ruleFile: string, selector: string, afterOutageSteps: number): string {
  const step = `${scenario.stepSeconds}s`;
  const evalSeconds = (scenario.healthySteps + 1 + afterOutageSteps) * scenario.stepSeconds;
  const series = outageSeries(scenario)
    .map(({ series: name, values }) => `      - series: '${name}'\n        values: '${values}'`)
    .join('\n');
  return [
    'rule_files:',
    `  - ${JSON.stringify(ruleFile)}`,
    `evaluation_interval: ${step}`,
    'tests:',
    `  - interval: ${step}`,
    '    input_series:',
    series,
    '    promql_expr_test:',
    `      - expr: 'count(${selector})'`,
    `        eval_time: ${evalSeconds}s`,
    '        exp_samples:',
    '          - value: 1',
    '',
  ].join('\n');
}

/**
 * The smallest step in [0, maxSteps] at which `firing` holds, given that once it holds it keeps holding
 * (the outage goes on); undefined when it does not hold at maxSteps. At most log2(maxSteps) + 2 probes.
 */
export async function firstFiringStep(maxSteps: number, firing: (step: number) => Promise<boolean>): Promise<number | undefined> {
  if (!(await firing(maxSteps))) return undefined;
  let low = 0;
  let high = maxSteps;
  if (await firing(low)) return low;
  // Invariant: not firing at low, firing at high.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await firing(middle)) high = middle;
    else low = middle;
  }
  return high;
}
