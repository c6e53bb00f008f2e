import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, registry } from '@cinemetrics/telemetry';
import { registerRuntimeMetrics } from './runtime.js';

export { LATENCY_BUCKETS, registry };

registerRuntimeMetrics(registry);

/**
 * Event-loop utilisation as a counter of busy time, so any window works: its rate is the share of
 * wall time the loop spent running callbacks rather than waiting (0 idle, 1 saturated). Lag shows
 * when the loop is late; utilisation shows how close it is to being late.
 */
let eventLoopActiveMs = 0;
new Counter({
  name: 'nodejs_eventloop_active_seconds',
  help: 'Time the event loop spent running callbacks rather than waiting; its rate is the event-loop utilisation (0 to 1)',
  registers: [registry],
  collect() {
    const { active } = performance.eventLoopUtilization();
    this.inc((active - eventLoopActiveMs) / 1000);
    eventLoopActiveMs = active;
  },
});

export const httpServerDuration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests, by route template',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
  buckets: LATENCY_BUCKETS,
  enableExemplars: true,
  registers: [registry],
});

export const httpServerActive = new Gauge({
  name: 'http_server_active_requests',
  help: 'HTTP server requests in flight',
  labelNames: ['http_request_method'] as const,
  registers: [registry],
});

export const httpServerRejected = new Counter({
  name: 'http_server_rejected_requests',
  help: 'Requests refused before reaching a handler (rate limit, overload)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const httpClientDuration = new Histogram({
  name: 'http_client_request_duration_seconds',
  help: 'Duration of outbound HTTP requests, one observation per attempt',
  labelNames: ['peer_service', 'http_request_method', 'http_response_status_code', 'error_type'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const httpClientRetries = new Counter({
  name: 'http_client_retries',
  help: 'Outbound HTTP attempts that were retries',
  labelNames: ['peer_service'] as const,
  registers: [registry],
});

export const circuitBreakerState = new Gauge({
  name: 'circuit_breaker_state',
  help: 'Circuit breaker state per downstream: 1 for the current state, 0 for the others',
  labelNames: ['peer_service', 'state'] as const,
  registers: [registry],
});

export const dbOperationDuration = new Histogram({
  name: 'db_client_operation_duration_seconds',
  help: 'Duration of database operations, by operation and table',
  labelNames: ['db_operation_name', 'db_collection_name'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const cacheRequests = new Counter({
  name: 'cache_requests',
  help: 'Cache lookups by result',
  labelNames: ['cache', 'result'] as const,
  registers: [registry],
});
