import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import { jaegerUiVariable, labelVariable, newDashboard, timeSeries } from '../panels.js';

const SELECTED = 'service=~"$service", instance=~"$instance"';

/** Node.js runtime per instance: event loop, GC, memory, CPU, handles. */
export function runtimeDashboard(): dashboard.DashboardBuilder {
  return newDashboard(DASHBOARD_UIDS.runtime, 'Cinemetrics / Node.js runtime', 'The Node.js processes behind each service: event loop, garbage collection, memory, CPU and handles, per instance.')
    .withVariable(labelVariable('service', 'Service', 'label_values(nodejs_version_info, service)'))
    .withVariable(labelVariable('instance', 'Instance', 'label_values(nodejs_version_info{service=~"$service"}, instance)'))
    .withVariable(jaegerUiVariable())
    .withPanel(
      timeSeries({
        title: 'Event-loop delay',
        description: 'p50 and p99 of the event loop\'s delay since the previous scrape. Sustained p99 above 100 ms: something blocks the loop (CPU-heavy work, sync I/O); take a CPU profile.',
        unit: 's',
        queries: [
          { expr: `nodejs_eventloop_lag_p50_seconds{${SELECTED}}`, legend: 'p50 {{service}} {{instance}}' },
          { expr: `nodejs_eventloop_lag_p99_seconds{${SELECTED}}`, legend: 'p99 {{service}} {{instance}}' },
        ],
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.1, color: 'red' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Event-loop utilisation',
        description:
          'Share of wall time the event loop spent running callbacks rather than waiting for I/O. Near 100% the loop is saturated: requests queue and latency climbs before the lag panel shows it. Scale out, or take a CPU profile to see what keeps it busy.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: `rate(nodejs_eventloop_active_seconds_total{${SELECTED}}[$__rate_interval])`, legend: '{{service}} {{instance}}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'GC time by kind',
        description: 'Seconds per second spent in garbage collection, by kind (minor, major, incremental, weakcb). Rising major GC with a growing heap suggests a leak.',
        unit: 'percentunit',
        queries: [{ expr: `sum by (service, instance, kind) (rate(nodejs_gc_duration_seconds_sum{${SELECTED}}[$__rate_interval]))`, legend: '{{service}} {{instance}} {{kind}}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Heap and RSS',
        description: 'V8 heap used and its limit, and the process\'s resident memory. RSS near the container\'s memory limit means an OOM kill is near.',
        unit: 'bytes',
        queries: [
          { expr: `nodejs_heap_size_used_bytes{${SELECTED}}`, legend: 'heap used {{service}} {{instance}}' },
          { expr: `nodejs_heap_size_limit_bytes{${SELECTED}}`, legend: 'heap limit {{service}} {{instance}}' },
          { expr: `process_resident_memory_bytes{${SELECTED}}`, legend: 'RSS {{service}} {{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'CPU',
        description: 'CPU cores in use, user and system time apart.',
        unit: 'short',
        queries: [
          { expr: `rate(process_cpu_user_seconds_total{${SELECTED}}[$__rate_interval])`, legend: 'user {{service}} {{instance}}' },
          { expr: `rate(process_cpu_system_seconds_total{${SELECTED}}[$__rate_interval])`, legend: 'system {{service}} {{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Active handles and open file descriptors',
        description: 'libuv handles keeping the loop alive (sockets, timers, servers) and open file descriptors. A steady climb under steady load is a connection leak.',
        unit: 'short',
        queries: [
          { expr: `nodejs_active_handles_total{${SELECTED}}`, legend: 'handles {{service}} {{instance}}' },
          { expr: `process_open_fds{${SELECTED}}`, legend: 'fds {{service}} {{instance}}' },
        ],
      }),
    );
}
