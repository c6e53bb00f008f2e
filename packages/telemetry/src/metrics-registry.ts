import { Registry, type RegistryContentType } from 'prom-client';

/**
 * One registry per process, created here because the preload's SDK reports on itself into it before
 * the kit is loaded. It is an OpenMetrics registry because prom-client only keeps exemplars on those;
 * the kit serves the Prometheus text format from the same registry as well.
 */
export const registry = new Registry<RegistryContentType>();
// Before any metric is registered: prom-client refuses exemplar-enabled metrics on a text registry.
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);

/** Every SLO threshold (0.1 s, 0.25 s) is a bucket boundary, so latency SLIs read a bucket exactly. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
