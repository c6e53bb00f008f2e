import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import { jaegerUiVariable, labelVariable, logsPanel, newDashboard, ratioQuery, timeSeries } from '../panels.js';

const REQUESTS = 'http_server_request_duration_seconds';
const SELECTED = 'service=~"$service", http_route=~"$route", instance=~"$instance"';

function latency(quantile: number): string {
  return `histogram_quantile(${quantile}, sum by (service, http_route, le) (rate(${REQUESTS}_bucket{${SELECTED}}[$__rate_interval])))`;
}

function errorRatio(statusClass: '4..' | '5..'): string {
  return ratioQuery(
    `rate(${REQUESTS}_count{${SELECTED}, http_response_status_code=~"${statusClass}"}[$__rate_interval])`,
    `rate(${REQUESTS}_count{${SELECTED}}[$__rate_interval])`,
    'service, http_route',
  );
}

/** Service overview: the RED metrics of each service and route, its saturation, and its logs. */
export function overviewDashboard(): dashboard.DashboardBuilder {
  return newDashboard(
    DASHBOARD_UIDS.overview,
    'Cinemetrics / Service overview',
    'Requests, errors and latency per service and route, in-flight requests, event-loop lag and the logs of the selected service. Start here.',
  )
    .withVariable(labelVariable('service', 'Service', `label_values(${REQUESTS}_count, service)`))
    .withVariable(labelVariable('route', 'Route', `label_values(${REQUESTS}_count{service=~"$service"}, http_route)`))
    .withVariable(labelVariable('instance', 'Instance', `label_values(${REQUESTS}_count{service=~"$service"}, instance)`))
    .withVariable(jaegerUiVariable())
    .withRow(new dashboard.RowBuilder('Traffic and errors'))
    .withPanel(
      timeSeries({
        title: 'Request rate',
        description: 'Requests answered per second, per service and route (all status codes).',
        unit: 'reqps',
        queries: [{ expr: `sum by (service, http_route) (rate(${REQUESTS}_count{${SELECTED}}[$__rate_interval]))`, legend: '{{service}} {{http_route}}' }],
        width: 8,
        dataLinks: [{ title: 'Traces of ${__field.labels.service} in Jaeger', url: '${jaeger_ui}/search?service=${__field.labels.service}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Server error ratio (5xx)',
        description: 'Share of requests answered 5xx: failures that are ours and spend the availability error budget.',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: errorRatio('5..'), legend: '{{service}} {{http_route}}' }],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.001, color: 'orange' },
          { value: 0.01, color: 'red' },
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Client error ratio (4xx)',
        description: 'Share of requests answered 4xx: bad input, unknown ids, rate limiting (429). Not an outage, but a jump means a client or a release changed.',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: errorRatio('4..'), legend: '{{service}} {{http_route}}' }],
        width: 8,
      }),
    )
    .withRow(new dashboard.RowBuilder('Latency and saturation'))
    .withPanel(
      timeSeries({
        title: 'Latency p50 / p90 / p99',
        description: 'Request duration quantiles per service and route. The dots are exemplars: click one to open that request\'s trace.',
        unit: 's',
        queries: [
          { expr: latency(0.5), legend: 'p50 {{service}} {{http_route}}' },
          { expr: latency(0.9), legend: 'p90 {{service}} {{http_route}}' },
          { expr: latency(0.99), legend: 'p99 {{service}} {{http_route}}', exemplars: true },
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.25, color: 'red' },
        ],
        width: 12,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'In-flight requests',
        description: 'Requests being served right now, per instance. Approaching MAX_IN_FLIGHT means shedding (503) is near.',
        unit: 'short',
        queries: [{ expr: 'sum by (service, instance) (http_server_active_requests{service=~"$service", instance=~"$instance"})', legend: '{{service}} {{instance}}' }],
        width: 6,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Event-loop lag p99',
        description: 'The slowest event-loop delays since the previous scrape. A blocked loop delays every request of that instance.',
        unit: 's',
        queries: [{ expr: 'max by (service, instance) (nodejs_eventloop_lag_p99_seconds{service=~"$service", instance=~"$instance"})', legend: '{{service}} {{instance}}' }],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.1, color: 'red' },
        ],
        width: 6,
        dataLinks: [{ title: 'Node.js runtime of ${__field.labels.instance}', url: `/d/${DASHBOARD_UIDS.runtime}?var-service=\${__field.labels.service}&var-instance=\${__field.labels.instance}` }],
      }),
    )
    .withRow(new dashboard.RowBuilder('Logs'))
    .withPanel(
      logsPanel({
        title: 'Logs of the selected services',
        description: 'The newest log records of the selected services from VictoriaLogs. Expand a line and follow trace_id to its trace.',
        expr: 'service.name:~"^($service)$" | sort by (_time) desc | limit 500',
      }),
    );
}
