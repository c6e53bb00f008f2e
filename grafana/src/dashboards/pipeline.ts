import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import { jaegerUiVariable, newDashboard, timeSeries } from '../panels.js';

const COLLECTOR = 'service="otel-collector"';

/**
 * The collector's self-metrics as Prometheus scrapes them from its :8888 reader: counters keep their
 * OpenTelemetry names, without a `_total` suffix. Its receivers take spans and log records (the
 * services' metrics are scraped, not pushed); its exporters also send the derived metric points.
 */
const RECEIVED = ['spans', 'log_records'];
const SENT = ['spans', 'metric_points', 'log_records'];

function signals(names: string[], metric: (signal: string) => string, legend: string): { expr: string; legend: string }[] {
  return names.map((signal) => ({ expr: metric(signal), legend: `${signal} ${legend}` }));
}

/** The telemetry pipeline: is the collector keeping up, is Prometheus scraping, do span metrics flow? */
export function pipelineDashboard(): dashboard.DashboardBuilder {
  return newDashboard(
    DASHBOARD_UIDS.pipeline,
    'Cinemetrics / Telemetry pipeline',
    'The collector\'s intake and delivery per signal, its queues and exporter failures, Prometheus\'s scrapes, the alerting path\'s failures, and the span metrics Jaeger\'s Monitor tab reads. When a dashboard looks empty, check here first.',
  )
    .withVariable(jaegerUiVariable())
    .withPanel(
      timeSeries({
        title: 'Collector: accepted per signal',
        description: 'Spans and log records the collector\'s OTLP receiver accepted per second (the services\' metrics are scraped by Prometheus, not pushed).',
        unit: 'short',
        queries: signals(RECEIVED, (signal) => `sum by (receiver) (rate(otelcol_receiver_accepted_${signal}{${COLLECTOR}}[$__rate_interval]))`, '{{receiver}}'),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Collector: refused and failed per signal',
        description: 'Data the receivers refused (the memory limiter pushing back: senders retry) and data the exporters failed to send (lost after retries). The failure counters appear with the first failure.',
        unit: 'short',
        queries: [
          ...signals(RECEIVED, (signal) => `sum by (receiver) (rate(otelcol_receiver_refused_${signal}{${COLLECTOR}}[$__rate_interval]))`, 'refused {{receiver}}'),
          ...signals(SENT, (signal) => `sum by (exporter) (rate(otelcol_exporter_send_failed_${signal}{${COLLECTOR}}[$__rate_interval]))`, 'failed {{exporter}}'),
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Collector: sent per exporter',
        description: 'What each exporter delivered per second: Jaeger (spans), Prometheus (span metrics and service graph), VictoriaLogs (log records).',
        unit: 'short',
        queries: signals(SENT, (signal) => `sum by (exporter) (rate(otelcol_exporter_sent_${signal}{${COLLECTOR}}[$__rate_interval]))`, '{{exporter}}'),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Collector: exporter queue fill',
        description: 'How full each exporter\'s sending queue is. A queue near capacity drops data next: the backend is slow or down.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: `max by (exporter) (otelcol_exporter_queue_size{${COLLECTOR}}) / max by (exporter) (otelcol_exporter_queue_capacity{${COLLECTOR}})`, legend: '{{exporter}}' }],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.8, color: 'red' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Scrape health',
        description: 'Whether Prometheus reached each target at its last scrape (1 up, 0 down), and how long the scrape took.',
        unit: 'short',
        min: 0,
        queries: [
          { expr: 'up', legend: 'up {{service}} {{instance}}' },
          { expr: 'scrape_duration_seconds', legend: 'scrape seconds {{service}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Alerting path: failures',
        description:
          'The path an alert travels, failing: rule evaluations that failed or were skipped per second (Prometheus), alerts Prometheus could not send to Alertmanager, notifications Alertmanager gave up on per integration. Anything above zero for long pages or opens a ticket (alerts/monitoring.rules.yml); all zero and still no page means look at the receivers.',
        unit: 'short',
        min: 0,
        queries: [
          { expr: 'sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[$__rate_interval]))', legend: 'failed evaluations {{rule_group}}' },
          { expr: 'sum by (rule_group) (rate(prometheus_rule_group_iterations_missed_total[$__rate_interval]))', legend: 'skipped evaluations {{rule_group}}' },
          { expr: 'sum by (alertmanager) (rate(prometheus_notifications_errors_total[$__rate_interval]))', legend: 'alerts not delivered to {{alertmanager}}' },
          { expr: 'sum by (integration) (rate(alertmanager_notifications_failed_total[$__rate_interval]))', legend: 'notifications failed {{integration}}' },
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.001, color: 'red' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Span metrics (Jaeger Monitor tab)',
        description: 'Server spans per second per service from the collector\'s span_metrics connector: what Jaeger\'s Monitor tab shows. Empty while traffic flows means the span metrics path is broken.',
        unit: 'reqps',
        queries: [{ expr: 'sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[$__rate_interval]))', legend: '{{service_name}}' }],
        dataLinks: [{ title: 'Jaeger Monitor tab', url: '${jaeger_ui}/monitor' }],
      }),
    );
}
