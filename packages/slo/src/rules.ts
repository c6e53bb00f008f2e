import { clean, errorBudget, ownershipLabels, type Definitions, type Severity, type Slo } from './definitions.js';
import { humanDuration, parseDuration } from './duration.js';
import { Clock, type AlertingRule, type GenerateOptions, type RecordingRule, type RuleFile, type RuleGroup } from './rule-model.js';
import { runbookUrl } from './runbooks.js';
import { monitoringAlertGroup } from './monitoring-rules.js';
import { serviceAlertGroups } from './service-rules.js';

export const ALERT_NAMES = {
  availability: 'AvailabilityErrorBudgetBurn',
  latency: 'LatencyErrorBudgetBurn',
  absent: 'SLIMetricsAbsent',
} as const;

/** A number as PromQL and YAML print it, without floating-point noise. */
export function num(value: number): string {
  return String(clean(value));
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** The SLO windows the recording rules cover: every alert window plus 5m, shortest first. */
export function recordedWindows(definitions: Definitions): string[] {
  const windows = new Set<string>(['5m']);
  for (const alert of definitions.slo.burnRateAlerts) {
    windows.add(alert.longWindow);
    windows.add(alert.shortWindow);
  }
  return [...windows].sort((a, b) => parseDuration(a) - parseDuration(b));
}

/**
 * Matcher for the histogram bucket at `threshold`. Prometheus 3 normalises `le` values on ingestion
 * (le="1" becomes "1.0") while 2.x keeps them as exposed, so integral thresholds match both spellings.
 */
export function leMatcher(threshold: number): string {
  const value = num(threshold);
  return Number.isInteger(threshold) ? `le=~${quote(`${value}|${value}\\.0`)}` : `le=${quote(value)}`;
}

function sliSelectors(definitions: Definitions, slo: Slo): { total: string; bad: string; good?: string } {
  const sli = definitions.slo.sli;
  const base = `service=${quote(slo.service)},http_route!~${quote(sli.excludedRoutes)}`;
  if (slo.sli === 'availability') {
    return {
      total: `${sli.metric}_count{${base}}`,
      bad: `${sli.metric}_count{${base},http_response_status_code=~${quote(sli.errorStatus)},http_response_status_code!~${quote(sli.notErrorStatus)}}`,
    };
  }
  return {
    total: `${sli.metric}_count{${base}}`,
    bad: '',
    good: `${sli.metric}_bucket{${base},${leMatcher(slo.threshold ?? Number.NaN)}}`,
  };
}

export function sloLabels(slo: Slo): Record<string, string> {
  return { service: slo.service, slo: slo.name, sli: slo.sli };
}

function sloSelector(slo: Slo): string {
  return `{slo=${quote(slo.name)}}`;
}

/** What the SLO promises, in words: "99.9% of requests not answered 5xx over 30d". */
export function objectiveText(slo: Slo): string {
  const what = slo.sli === 'availability' ? 'answered without a server error' : `answered within ${num((slo.threshold ?? 0) * 1000)} ms`;
  return `objective: ${num(slo.objective)}% of requests over ${slo.window} ${what}`;
}

function recordingRules(definitions: Definitions, slo: Slo, clock: Clock): RecordingRule[] {
  const labels = sloLabels(slo);
  const selectors = sliSelectors(definitions, slo);
  const rules: RecordingRule[] = [];
  const sum = (selector: string, window: string): string => `sum by (service) (rate(${selector}[${clock.window(window)}]))`;
  for (const window of recordedWindows(definitions)) {
    rules.push({ record: `slo:sli_requests:rate${window}`, expr: sum(selectors.total, window), labels });
    rules.push({
      record: `slo:sli_errors:rate${window}`,
      // No 5xx series exists until the first 5xx: `or 0 * total` keeps the error rate at 0, not absent.
      expr:
        selectors.good === undefined
          ? `${sum(selectors.bad, window)}\nor\n0 * ${sum(selectors.total, window)}`
          : `${sum(selectors.total, window)}\n-\n${sum(selectors.good, window)}`,
      labels,
    });
    rules.push({
      record: `slo:sli_error:ratio_rate${window}`,
      expr: `slo:sli_errors:rate${window}${sloSelector(slo)}\n/\nslo:sli_requests:rate${window}${sloSelector(slo)}`,
      labels,
    });
  }
  const budget = errorBudget(slo);
  const period = slo.window;
  rules.push(
    {
      record: `slo:sli_error:ratio_rate${period}`,
      // Weighted by traffic (sum of rates, not an average of ratios); chained from the 5m rates.
      expr: `sum_over_time(slo:sli_errors:rate5m${sloSelector(slo)}[${clock.window(period)}])\n/\nsum_over_time(slo:sli_requests:rate5m${sloSelector(slo)}[${clock.window(period)}])`,
      labels,
    },
    { record: `slo:sli:ratio_rate${period}`, expr: `1 - slo:sli_error:ratio_rate${period}${sloSelector(slo)}`, labels },
    { record: 'slo:objective:ratio', expr: `vector(${num(slo.objective / 100)})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(${num(budget)})`, labels },
    { record: 'slo:time_period:days', expr: `vector(${num(parseDuration(period) / 86_400_000)})`, labels },
    { record: 'slo:current_burn_rate:ratio', expr: `slo:sli_error:ratio_rate5m${sloSelector(slo)} / ${num(budget)}`, labels },
    { record: 'slo:period_burn_rate:ratio', expr: `slo:sli_error:ratio_rate${period}${sloSelector(slo)} / ${num(budget)}`, labels },
    { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${sloSelector(slo)}`, labels },
  );
  return rules;
}

function burnRateAlerts(definitions: Definitions, slo: Slo, clock: Clock): AlertingRule[] {
  const budget = errorBudget(slo);
  const periodMs = parseDuration(slo.window);
  const selector = sloSelector(slo);
  const alert = ALERT_NAMES[slo.sli];
  return definitions.slo.burnRateAlerts.map((tier) => {
    const share = clean((tier.burnRate * parseDuration(tier.longWindow)) / periodMs);
    const exhaustion = humanDuration(periodMs / tier.burnRate);
    const rate = num(tier.burnRate);
    const what = slo.sli === 'availability' ? 'errors' : 'slow requests';
    return {
      alert,
      expr: [
        `slo:sli_error:ratio_rate${tier.longWindow}${selector} / ${num(budget)} > ${rate}`,
        'and',
        `slo:sli_error:ratio_rate${tier.shortWindow}${selector} / ${num(budget)} > ${rate}`,
        'and',
        `slo:sli_requests:rate${tier.longWindow}${selector} >= ${num(definitions.slo.minRequestRate)}`,
      ].join('\n'),
      for: clock.window(tier.for),
      labels: {
        severity: tier.severity,
        ...sloLabels(slo),
        long_window: tier.longWindow,
        short_window: tier.shortWindow,
        ...ownershipLabels(definitions.ownership, slo.service),
      },
      annotations: {
        summary: `${slo.service} ${slo.sli} SLO: error budget burning ${rate}× too fast over ${tier.longWindow} and ${tier.shortWindow}`,
        description:
          `${slo.name} (${objectiveText(slo)}): ${what} over the last ${tier.longWindow} ` +
          `ran at {{ $value | printf "%.1f" }}× the rate the error budget allows, and above ${rate}× over the last ${tier.shortWindow} too. ` +
          `At ${rate}× the ${slo.window} budget is gone in ${exhaustion}; this alert fires once ${num(share * 100)}% of it is spent.`,
        runbook_url: runbookUrl(definitions, alert),
      },
    };
  });
}

/** Severity of SLIMetricsAbsent: without the SLI no burn-rate alert can fire, so it pages. */
export const ABSENT_SEVERITY: Severity = 'page';

function absentAlert(definitions: Definitions, slo: Slo, clock: Clock): AlertingRule {
  const metric = definitions.slo.sli.metric;
  // Probe routes keep these series alive on an idle service: absent means not scraped or not instrumented.
  const selector =
    slo.sli === 'availability'
      ? `${metric}_count{service=${quote(slo.service)}}`
      : `${metric}_bucket{service=${quote(slo.service)},${leMatcher(slo.threshold ?? Number.NaN)}}`;
  return {
    alert: ALERT_NAMES.absent,
    expr: `absent(${selector})`,
    for: clock.window(definitions.slo.absentFor),
    labels: { severity: ABSENT_SEVERITY, ...sloLabels(slo), ...ownershipLabels(definitions.ownership, slo.service) },
    annotations: {
      summary: `${slo.service}: SLI series missing, ${slo.name} cannot alert`,
      description:
        `No ${selector} series for ${definitions.slo.absentFor}: the burn-rate alerts of ${slo.name} are blind. ` +
        (slo.sli === 'latency'
          ? `Either ${slo.service} is not scraped or no longer exports the ${num(slo.threshold ?? 0)} s bucket the SLI reads. `
          : `Either ${slo.service} is not scraped or no longer exports the request-duration histogram. `) +
        // The current value that matters here is whether Prometheus scrapes the service at all.
        `Scrape targets: {{ with query ${quote(`up{service=${quote(slo.service)}}`)} }}{{ range $i, $t := . }}{{ if $i }}, {{ end }}{{ $t.Labels.instance }} up={{ $t.Value }}{{ end }}{{ else }}none, the service is not in the target list{{ end }}.`,
      runbook_url: runbookUrl(definitions, ALERT_NAMES.absent),
    },
  };
}

/**
 * One group per SLO: its recording rules, then its alerts. Rules of a group run in order at the
 * same evaluation time, so the alerts always read ratios recorded a moment earlier, never one
 * interval late (separate groups run on independent schedules; promtool even orders them at random).
 */
function sloGroup(definitions: Definitions, slo: Slo, clock: Clock): RuleGroup {
  const recording = recordingRules(definitions, slo, clock);
  return { name: `slo-${slo.name}`, rules: [...recording, ...burnRateAlerts(definitions, slo, clock), absentAlert(definitions, slo, clock)] };
}

/** Services with an SLO first (in definition order), then any other owned service. */
export function services(definitions: Definitions): string[] {
  return [...new Set([...definitions.slo.slos.map((slo) => slo.service), ...Object.keys(definitions.ownership)])];
}

/** Where the rules of one SLO are written, relative to the repository root. */
export function sloRulesPath(sloName: string): string {
  return `alerts/slo-${sloName}.rules.yml`;
}

export function generateRules(definitions: Definitions, options: GenerateOptions = {}): RuleFile[] {
  const clock = new Clock(options.timeScale ?? 1);
  return [
    // One file per SLO, so a rule test loads only the SLOs it is about (promtool evaluates every rule of
    // every file it is given at every step).
    ...definitions.slo.slos.map((slo) => ({
      path: sloRulesPath(slo.name),
      title:
        `The ${slo.name} SLO: SLI error ratios over every alert window, the SLO-window SLI, error budget and\n` +
        ' burn rates, then the multi-window, multi-burn-rate alerts and the SLI-absent alert.',
      groups: [sloGroup(definitions, slo, clock)],
    })),
    {
      path: 'alerts/service.rules.yml',
      title: 'One group per service: service down, saturation, dependency and telemetry-pipeline alerts.',
      groups: serviceAlertGroups(definitions, services(definitions), clock),
    },
    {
      path: 'alerts/monitoring.rules.yml',
      title: 'The monitoring itself: the heartbeat, rule evaluation, alert delivery, the collector\'s exports and the stack\'s components.',
      groups: [monitoringAlertGroup(definitions, clock)],
    },
  ];
}
