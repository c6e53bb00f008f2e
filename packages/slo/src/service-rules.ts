import { ownershipLabels, type Definitions, type Severity } from './definitions.js';
import type { AlertingRule, Clock, RuleGroup } from './rule-model.js';
import { runbookUrl } from './runbooks.js';

/** `slo` label of alerts that are not about an SLO. */
export const NO_SLO = 'none';

/**
 * Alerts about one service that are not SLO burn: the policy is to page only for user impact (SLO
 * burn), total loss (down) or blindness (SLI absent); everything here but ServiceDown is a ticket,
 * because when it hurts users the SLO alerts page anyway.
 */
interface ServiceAlert {
  alert: string;
  severity: Severity;
  for: string;
  /** Extra labels that tell two rules of the same alert apart (e.g. signal). */
  labels?: Record<string, string>;
  expr: (service: string, window: (duration: string) => string) => string;
  /** SERVICE stands for the service's name. */
  summary: string;
  description: string;
}

const q = JSON.stringify;

/** Thresholds of the saturation alerts; each is explained in its runbook. */
export const THRESHOLDS = {
  eventLoopLagSeconds: 0.1,
  heapUsedShare: 0.9,
  openFdsShare: 0.8,
  cpuCores: 0.85,
  breakerNotClosedShare: 0.9,
  telemetryFailedShare: 0.1,
} as const;

const SIGNALS = [
  { signal: 'spans', noun: 'spans', gaps: 'traces', exporter: 'otel_sdk_exporter_span_exported_total', processor: 'otel_sdk_processor_span_processed_total' },
  { signal: 'logs', noun: 'log records', gaps: 'the exported logs', exporter: 'otel_sdk_exporter_log_exported_total', processor: 'otel_sdk_processor_log_processed_total' },
] as const;

function serviceAlerts(): ServiceAlert[] {
  const alerts: ServiceAlert[] = [
    {
      alert: 'ServiceDown',
      severity: 'page',
      for: '2m',
      expr: (service) => `up{service=${q(service)}} == 0`,
      summary: 'SERVICE is down: Prometheus cannot scrape {{ $labels.instance }}',
      description:
        'up = {{ $value }} for {{ $labels.instance }} (job {{ $labels.job }}) for 2 minutes: the admin port does not answer /metrics, ' +
        'so the process is gone, hung or unreachable. Its SLO alerts are inhibited while this fires.',
    },
    {
      alert: 'EventLoopLagHigh',
      severity: 'ticket',
      for: '10m',
      expr: (service, w) => `avg_over_time(nodejs_eventloop_lag_p99_seconds{service=${q(service)}}[${w('5m')}]) > ${THRESHOLDS.eventLoopLagSeconds}`,
      summary: 'SERVICE: event loop lag p99 above 100 ms on {{ $labels.instance }}',
      description:
        'The p99 event-loop delay of {{ $labels.instance }} averaged {{ $value | humanizeDuration }} over 5 minutes, for 10 minutes: ' +
        'JavaScript is blocking the loop (CPU-heavy work, sync I/O, GC pressure) and every request waits that long.',
    },
    {
      alert: 'HeapNearLimit',
      severity: 'ticket',
      for: '15m',
      expr: (service) =>
        `nodejs_heap_size_used_bytes{service=${q(service)}}\n/\nnodejs_heap_size_limit_bytes{service=${q(service)}}\n> ${THRESHOLDS.heapUsedShare}`,
      summary: 'SERVICE: V8 heap above 90% of its limit on {{ $labels.instance }}',
      description:
        'The V8 heap of {{ $labels.instance }} has stayed at {{ $value | humanizePercentage }} of its limit for 15 minutes: ' +
        'a leak or an oversized cache; near the limit the process spends its time in GC and then dies with "heap out of memory".',
    },
    {
      alert: 'FileDescriptorsNearLimit',
      severity: 'ticket',
      for: '10m',
      expr: (service) => `process_open_fds{service=${q(service)}}\n/\nprocess_max_fds{service=${q(service)}}\n> ${THRESHOLDS.openFdsShare}`,
      summary: 'SERVICE: open file descriptors above 80% of the limit on {{ $labels.instance }}',
      description:
        '{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file-descriptor limit (for 10 minutes): ' +
        'leaking sockets or files; at the limit new connections fail with EMFILE.',
    },
    {
      alert: 'CpuSaturated',
      severity: 'ticket',
      for: '10m',
      expr: (service, w) => `rate(process_cpu_seconds_total{service=${q(service)}}[${w('5m')}]) > ${THRESHOLDS.cpuCores}`,
      summary: 'SERVICE: CPU above 85% of a core on {{ $labels.instance }}',
      description:
        '{{ $labels.instance }} used {{ $value | printf "%.2f" }} CPU cores on average over 5 minutes, for 10 minutes. ' +
        'JavaScript runs on one thread, so near one core requests queue on the event loop.',
    },
    {
      alert: 'CircuitBreakerOpen',
      severity: 'ticket',
      for: '1m',
      expr: (service, w) =>
        `1 - max without (state) (avg_over_time(circuit_breaker_state{service=${q(service)},state="closed"}[${w('5m')}]))\n> ${THRESHOLDS.breakerNotClosedShare}`,
      summary: 'SERVICE: circuit breaker to {{ $labels.peer_service }} open for more than 5 minutes',
      description:
        'The breaker of {{ $labels.instance }} towards {{ $labels.peer_service }} was open or half-open {{ $value | humanizePercentage }} ' +
        'of the last 5 minutes: calls fail fast, so responses are degraded or 503 until {{ $labels.peer_service }} recovers.',
    },
    {
      alert: 'DatabasePoolExhausted',
      severity: 'ticket',
      for: '5m',
      expr: (service) =>
        [
          `db_client_connection_pending_requests{service=${q(service)}} > 0`,
          'and on (service, instance)',
          `(sum by (service, instance) (db_client_connections{service=${q(service)},state="used"})`,
          `  >= on (service, instance)`,
          `  sum by (service, instance) (db_client_connection_max{service=${q(service)}}) > 0)`,
        ].join('\n'),
      summary: 'SERVICE: database pool exhausted on {{ $labels.instance }}',
      description:
        'Every connection of the pool of {{ $labels.instance }} is in use and {{ $value }} requests are waiting for one, for 5 minutes: ' +
        'slow queries or a pool too small for the load; waiting requests time out as 503.',
    },
  ];
  for (const { signal, noun, gaps, exporter, processor } of SIGNALS) {
    alerts.push(
      {
        alert: 'TelemetryDropped',
        severity: 'ticket',
        for: '10m',
        labels: { signal },
        expr: (service, w) =>
          `sum by (service, instance) (rate(${processor}{service=${q(service)},error_type="queue_full"}[${w('5m')}])) > 0`,
        summary: `SERVICE: OpenTelemetry SDK dropping ${noun} on {{ $labels.instance }}`,
        description:
          `The SDK's batch processor of {{ $labels.instance }} drops {{ $value | printf "%.2f" }} ${noun}/s because its queue is full (for 10 minutes): ` +
          `the collector is slow or unreachable, or the process produces more than it exports; ${gaps} have gaps.`,
      },
      {
        alert: 'TelemetryExportFailing',
        severity: 'ticket',
        for: '10m',
        labels: { signal },
        expr: (service, w) => {
          const ratio = (metric: string, failed: string): string =>
            `sum by (service, instance) (rate(${metric}{service=${q(service)},${failed}}[${w('5m')}]))\n  / sum by (service, instance) (rate(${metric}{service=${q(service)}}[${w('5m')}]))`;
          return `(\n  ${ratio(exporter, 'error_type!=""')}\nor\n  ${ratio(processor, 'error_type!~"|queue_full"')}\n)\n> ${THRESHOLDS.telemetryFailedShare}`;
        },
        summary: `SERVICE: OpenTelemetry export of ${noun} failing on {{ $labels.instance }}`,
        description:
          `{{ $value | humanizePercentage }} of the ${noun} {{ $labels.instance }} sent over the last 5 minutes failed to export (for 10 minutes): ` +
          `the OTLP endpoint refuses them or cannot be reached; ${gaps} have gaps.`,
      },
    );
  }
  return alerts;
}

export function serviceAlertGroups(definitions: Definitions, services: string[], clock: Clock): RuleGroup[] {
  const window = (duration: string): string => clock.window(duration);
  return services.map((service) => ({
    name: `service-alerts-${service}`,
    rules: serviceAlerts().map(
      (alert): AlertingRule => ({
        alert: alert.alert,
        expr: alert.expr(service, window),
        for: clock.window(alert.for),
        labels: {
          severity: alert.severity,
          service,
          slo: NO_SLO,
          ...alert.labels,
          ...ownershipLabels(definitions.ownership, service),
        },
        annotations: {
          summary: alert.summary.replaceAll('SERVICE', service),
          description: alert.description.replaceAll('SERVICE', service),
          runbook_url: runbookUrl(definitions, alert.alert),
        },
      }),
    ),
  }));
}
