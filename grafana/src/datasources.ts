/**
 * The data sources the dashboards use, by the fixed uids of grafana/provisioning/datasources.
 * tests/dashboards checks that every uid referenced in a dashboard is provisioned.
 */
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const;
export const VICTORIALOGS = { type: 'victoriametrics-logs-datasource', uid: 'victorialogs' } as const;
export const JAEGER = { type: 'jaeger', uid: 'jaeger' } as const;

/** Every generated dashboard carries this tag; the dashboards' link menu lists them by it. */
export const DASHBOARD_TAG = 'cinemetrics';

/** Fixed dashboard uids: links between dashboards point at /d/<uid>. */
export const DASHBOARD_UIDS = {
  overview: 'cinemetrics-overview',
  slos: 'cinemetrics-slos',
  dependencies: 'cinemetrics-dependencies',
  runtime: 'cinemetrics-runtime',
  pipeline: 'cinemetrics-pipeline',
} as const;
