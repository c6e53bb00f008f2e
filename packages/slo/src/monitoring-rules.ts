import { ownerLabels, type Definitions, type Severity } from './definitions.js';
import type { AlertingRule, Clock, RuleGroup } from './rule-model.js';
import { runbookUrl } from './runbooks.js';
import { NO_SLO } from './service-rules.js';

/**
 * Severity of the Watchdog: neither a page nor a ticket. Alertmanager sends it to the heartbeat
 * receiver, a dead man's switch that pages when the heartbeat stops.
 */
export const HEARTBEAT = 'heartbeat';

/**
 * The `service` label of the telemetry stack's scrape targets, other than Prometheus (which cannot
 * report itself down): prometheus/targets/*.json, and the pods' `app.kubernetes.io/name` in
 * deploy/kubernetes, where the collector runs as a gateway and an agent.
 */
export const MONITORING_COMPONENTS = ['alertmanager', 'otel-collector', 'otel-gateway', 'otel-agent', 'jaeger', 'victorialogs'] as const;

/**
 * The collectors every service exports to, directly or through a node's agent: while one is down the
 * services' export alerts say nothing new (alertmanager.yml inhibits them).
 */
export const COLLECTORS = ['otel-collector', 'otel-gateway'] as const;

/** Thresholds of the monitoring alerts; each is explained in its runbook. */
export const MONITORING_THRESHOLDS = {
  alertDeliveryFailedShare: 0.01,
  collectorExportFailedShare: 0.1,
} as const;

interface MonitoringAlert {
  alert: string;
  severity: Severity | typeof HEARTBEAT;
  for?: string;
  /** Labels the series do not carry: `service` where the expression does not keep it, and `signal`. */
  labels?: Record<string, string>;
  expr: (window: (duration: string) => string) => string;
  summary: string;
  description: string;
}

/** The collector's signals, as its metric names spell them (otelcol_exporter_sent_<name>). */
const COLLECTOR_SIGNALS = [
  { name: 'spans', noun: 'spans', received: true },
  { name: 'log_records', noun: 'log records', received: true },
  { name: 'metric_points', noun: 'metric points', received: false },
] as const;

const anyOf = (names: readonly string[]): string => names.join('|');

/**
 * The rates of several of an exporter's counters (`otelcol_exporter_<counter>_<signal>`), added per
 * exporter. Each counter appears only once it has counted something, so `a + b` would be empty while
 * one is missing; and one `rate()` over a name pattern fails, the rates' series being identical once the
 * names are dropped. Each rate is told apart by a label, the rates are joined with `or`, then summed.
 */
function sumOfRates(counters: readonly string[], signal: string, window: string): string {
  const rates = counters.map((counter) => `label_replace(rate(otelcol_exporter_${counter}_${signal}[${window}]), "counter", "${counter}", "", "")`);
  return `sum by (service, instance, exporter) (\n  ${rates.join('\n  or ')}\n)`;
}

function monitoringAlerts(): MonitoringAlert[] {
  const alerts: MonitoringAlert[] = [
    {
      alert: 'Watchdog',
      severity: HEARTBEAT,
      labels: { service: 'prometheus' },
      expr: () => 'vector(1)',
      summary: 'Heartbeat of the alerting pipeline: always firing',
      description:
        'Fires (value {{ $value }}) for as long as Prometheus evaluates its rules and reaches Alertmanager. Alertmanager sends it to the ' +
        'heartbeat receiver every minute, a dead man\'s switch that pages when it stops arriving: Prometheus, Alertmanager or the way ' +
        'between them is down, and no other alert can reach anyone.',
    },
    {
      alert: 'RuleEvaluationFailing',
      severity: 'page',
      for: '15m',
      expr: (w) => `sum by (service, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total[${w('5m')}])) > 0`,
      summary: 'Prometheus cannot evaluate rule group {{ $labels.rule_group }}',
      description:
        '{{ $value | printf "%.0f" }} evaluations of {{ $labels.rule_group }} on {{ $labels.instance }} failed over the last 5 minutes, and ' +
        'some have failed in every 5 minutes for 15 minutes: the alerts and recorded series of that group are not updated, so its ' +
        'alerts cannot fire.',
    },
    {
      alert: 'RuleEvaluationsMissed',
      severity: 'ticket',
      for: '15m',
      expr: (w) => `sum by (service, instance, rule_group) (increase(prometheus_rule_group_iterations_missed_total[${w('5m')}])) > 0`,
      summary: 'Prometheus skips evaluations of rule group {{ $labels.rule_group }}',
      description:
        '{{ $value | printf "%.0f" }} evaluations of {{ $labels.rule_group }} on {{ $labels.instance }} were skipped over the last 5 minutes ' +
        '(for 15 minutes): one evaluation takes longer than the interval, so its alerts are late.',
    },
    {
      alert: 'AlertDeliveryFailing',
      severity: 'page',
      for: '10m',
      // Prometheus 3 counts in `sent` only the alerts delivered (2.x counted every attempt), so the
      // share of failures is errors over errors and sent; under 2.x it reads as low as half the true share.
      expr: (w) => {
        const errors = `sum by (service, instance) (rate(prometheus_notifications_errors_total[${w('5m')}]))`;
        const sent = `sum by (service, instance) (rate(prometheus_notifications_sent_total[${w('5m')}]))`;
        return [
          errors,
          `  / (${errors} + ${sent})`,
          `  > ${MONITORING_THRESHOLDS.alertDeliveryFailedShare}`,
          'or',
          'sum by (service, instance) (prometheus_notifications_alertmanagers_discovered) < 1',
        ].join('\n');
      },
      summary: 'Prometheus cannot deliver alerts to Alertmanager from {{ $labels.instance }}',
      description:
        'For 10 minutes {{ $labels.instance }} either failed to send {{ $value | humanizePercentage }} of its alerts to Alertmanager ' +
        '(a value of 0 means it has discovered no Alertmanager at all): firing alerts do not reach anyone.',
    },
    {
      alert: 'NotificationsFailing',
      severity: 'page',
      for: '10m',
      expr: (w) =>
        [
          `sum by (service, instance, integration) (rate(alertmanager_notifications_failed_total[${w('5m')}]))`,
          `  / sum by (service, instance, integration) (rate(alertmanager_notifications_total[${w('5m')}]))`,
          '  > 0',
        ].join('\n'),
      summary: 'Alertmanager notifications through {{ $labels.integration }} are failing',
      description:
        '{{ $labels.instance }} gave up on {{ $value | humanizePercentage }} of its {{ $labels.integration }} notifications over the ' +
        'last 5 minutes (for 10 minutes): the receiver is unreachable, refuses them or the credentials are wrong, and the alerts it ' +
        'should carry reach no one.',
    },
    {
      alert: 'MonitoringComponentDown',
      severity: 'ticket',
      for: '5m',
      expr: () => `up{service=~"${anyOf(MONITORING_COMPONENTS)}"} == 0`,
      summary: '{{ $labels.service }} is down: Prometheus cannot scrape {{ $labels.instance }}',
      description:
        'up = {{ $value }} for {{ $labels.service }} at {{ $labels.instance }} for 5 minutes. The services keep serving; what that ' +
        'component carries (traces, logs, span metrics or notifications) is delayed or lost until it is back.',
    },
  ];
  for (const { name, noun, received } of COLLECTOR_SIGNALS) {
    alerts.push({
      alert: 'CollectorExportFailing',
      severity: 'ticket',
      for: '10m',
      labels: { signal: name },
      expr: (w) =>
        [
          sumOfRates(['send_failed', 'enqueue_failed'], name, w('5m')),
          '/',
          sumOfRates(['sent', 'send_failed', 'enqueue_failed'], name, w('5m')),
          `> ${MONITORING_THRESHOLDS.collectorExportFailedShare}`,
        ].join('\n'),
      summary: `{{ $labels.service }}: exporter {{ $labels.exporter }} losing ${noun}`,
      description:
        `{{ $labels.service }} at {{ $labels.instance }} failed to send, or could not queue, {{ $value | humanizePercentage }} of the ${noun} ` +
        'of its exporter {{ $labels.exporter }} over the last 5 minutes (for 10 minutes): the backend behind it is down, slow or ' +
        `refuses them, and the ${noun} are lost.`,
    });
    if (received) {
      alerts.push({
        alert: 'CollectorRefusingData',
        severity: 'ticket',
        for: '10m',
        labels: { signal: name },
        expr: (w) => `sum by (service, instance, receiver) (rate(otelcol_receiver_refused_${name}[${w('5m')}])) > 0`,
        summary: `{{ $labels.service }}: receiver {{ $labels.receiver }} refusing ${noun}`,
        description:
          `{{ $labels.service }} at {{ $labels.instance }} refused {{ $value | printf "%.1f" }} ${noun}/s at its receiver {{ $labels.receiver }} ` +
          'over the last 5 minutes (for 10 minutes): its memory limiter sheds load. The senders retry, then drop what does not fit.',
      });
    }
  }
  return alerts;
}

/**
 * The monitoring's own alerts: the heartbeat, Prometheus's rule evaluation and alert delivery,
 * Alertmanager's notifications, the collector's exports and the stack's components being down. They
 * select by metric name rather than by `service`, since each metric comes from one kind of component
 * whatever its target is called, and keep the series' `service` and `instance`.
 */
export function monitoringAlertGroup(definitions: Definitions, clock: Clock): RuleGroup {
  const window = (duration: string): string => clock.window(duration);
  return {
    name: 'monitoring',
    rules: monitoringAlerts().map(
      (alert): AlertingRule => ({
        alert: alert.alert,
        expr: alert.expr(window),
        ...(alert.for === undefined ? {} : { for: clock.window(alert.for) }),
        labels: { severity: alert.severity, slo: NO_SLO, ...alert.labels, ...ownerLabels(definitions.monitoringOwner) },
        annotations: { summary: alert.summary, description: alert.description, runbook_url: runbookUrl(definitions, alert.alert) },
      }),
    ),
  };
}
