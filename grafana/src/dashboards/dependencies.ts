import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as nodegraph from '@grafana/grafana-foundation-sdk/nodegraph';
import { DASHBOARD_UIDS, JAEGER } from '../datasources.js';
import { jaegerQuery, jaegerUiVariable, labelVariable, newDashboard, ratioQuery, tablePanel, timeSeries } from '../panels.js';

const CLIENT = 'http_client_request_duration_seconds';
/** A failed attempt: a 5xx, or no answer (an empty status label, which Prometheus stores as absent; the regex's empty branch matches that). */
const CLIENT_FAILED = 'http_response_status_code=~"5..|"';
const CALLER = 'service=~"$service", instance=~"$instance"';

/** Dependencies: what each service calls (other services, its database, its cache) and how that goes. */
export function dependenciesDashboard(): dashboard.DashboardBuilder {
  return newDashboard(
    DASHBOARD_UIDS.dependencies,
    'Cinemetrics / Dependencies',
    'Outbound calls per downstream, retries, circuit breakers, inbound rejections, the database pool and the cache: is it us or a dependency?',
  )
    .withVariable(labelVariable('service', 'Service', 'label_values(up{job="cinemetrics"}, service)'))
    .withVariable(labelVariable('instance', 'Instance', 'label_values(up{service=~"$service"}, instance)'))
    .withVariable(jaegerUiVariable())
    .withRow(new dashboard.RowBuilder('Outbound HTTP calls'))
    .withPanel(
      timeSeries({
        title: 'Outbound call rate per downstream',
        description: 'Calls per second from the selected services to each downstream (peer_service), retries included.',
        unit: 'reqps',
        queries: [{ expr: `sum by (service, peer_service) (rate(${CLIENT}_count{${CALLER}}[$__rate_interval]))`, legend: '{{service}} → {{peer_service}}' }],
        width: 8,
        dataLinks: [{ title: 'Service overview of ${__field.labels.peer_service}', url: `/d/${DASHBOARD_UIDS.overview}?var-service=\${__field.labels.peer_service}` }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Outbound error ratio per downstream',
        description:
          'Share of outbound attempts that failed: a 5xx answer, or no answer at all (timeout, connection refused; http_response_status_code empty, so absent in Prometheus). A 4xx is an answer, not a failure; calls an open breaker refuses are not attempts.',
        unit: 'percentunit',
        min: 0,
        queries: [
          {
            expr: ratioQuery(
              `rate(${CLIENT}_count{${CALLER}, ${CLIENT_FAILED}}[$__rate_interval])`,
              `rate(${CLIENT}_count{${CALLER}}[$__rate_interval])`,
              'service, peer_service',
            ),
            legend: '{{service}} → {{peer_service}}',
          },
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.05, color: 'red' },
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Outbound latency p99 per downstream',
        description: 'How long the selected services wait for each downstream (99th percentile). Compare with that downstream\'s own server latency in the overview.',
        unit: 's',
        queries: [{ expr: `histogram_quantile(0.99, sum by (service, peer_service, le) (rate(${CLIENT}_bucket{${CALLER}}[$__rate_interval])))`, legend: '{{service}} → {{peer_service}}' }],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Retries per downstream',
        description: 'Retried calls per second. Retries are capped by the retry budget; a rise means a downstream is failing transiently.',
        unit: 'reqps',
        queries: [{ expr: `sum by (service, peer_service) (rate(http_client_retries_total{${CALLER}}[$__rate_interval]))`, legend: '{{service}} → {{peer_service}}' }],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Circuit breaker state',
        description: 'Each breaker\'s state over time (1 = in that state): open means calls to that downstream fail fast without being sent.',
        unit: 'short',
        min: 0,
        max: 1,
        queries: [{ expr: `max by (service, peer_service, state) (circuit_breaker_state{${CALLER}})`, legend: '{{service}} → {{peer_service}}: {{state}}' }],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rejected inbound requests',
        description: 'Requests refused before any work: rate limiting (429, reason rate_limit) and load shedding (503, reason overload).',
        unit: 'reqps',
        queries: [{ expr: `sum by (service, reason) (rate(http_server_rejected_requests_total{${CALLER}}[$__rate_interval]))`, legend: '{{service}} {{reason}}' }],
        width: 8,
      }),
    )
    .withRow(new dashboard.RowBuilder('Database and cache'))
    .withPanel(
      timeSeries({
        title: 'Database latency p99 per table',
        description: 'Duration of database operations (99th percentile) per service and table.',
        unit: 's',
        queries: [{ expr: `histogram_quantile(0.99, sum by (service, db_collection_name, le) (rate(db_client_operation_duration_seconds_bucket{${CALLER}}[$__rate_interval])))`, legend: '{{service}} {{db_collection_name}}' }],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Database pool in use',
        description: 'Connections in use as a share of the pool (MYSQL_POOL_SIZE). Near 100% with waiting requests means the pool, not the database, is the bottleneck.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          { expr: `sum by (service, instance) (db_client_connections{${CALLER}, state="used"}) / sum by (service, instance) (db_client_connection_max{${CALLER}})`, legend: '{{service}} {{instance}} used' },
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.8, color: 'red' },
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Cache hit ratio',
        description: 'Share of cache lookups answered from the cache (movie\'s metadata cache). A drop sends more load to metadata.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: ratioQuery(`rate(cache_requests_total{${CALLER}, result="hit"}[$__rate_interval])`, `rate(cache_requests_total{${CALLER}}[$__rate_interval])`, 'service, cache'),
            legend: '{{service}} {{cache}}',
          },
        ],
        width: 8,
      }),
    )
    .withRow(new dashboard.RowBuilder('Service graph'))
    .withPanel(
      tablePanel({
        title: 'Service graph edges',
        description: 'Calls per second between services and from services to their databases, derived by the collector from every span (before sampling).',
        unit: 'reqps',
        queries: [{ expr: 'sum by (client, server) (rate(traces_service_graph_request_total[$__rate_interval]))', legend: '{{client}} → {{server}}' }],
        width: 12,
      }),
    )
    .withPanel(
      new nodegraph.PanelBuilder()
        .title('Service graph (Jaeger)')
        .description('The dependency graph Jaeger computes from the stored traces; open a node to see its callers and callees.')
        .datasource(JAEGER)
        .targets([jaegerQuery('dependencyGraph')])
        .span(12)
        .height(8),
    );
}
