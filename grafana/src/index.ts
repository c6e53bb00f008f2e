import type { Definitions } from '@cinemetrics/slo';
import { dependenciesDashboard } from './dashboards/dependencies.js';
import { overviewDashboard } from './dashboards/overview.js';
import { pipelineDashboard } from './dashboards/pipeline.js';
import { runtimeDashboard } from './dashboards/runtime.js';
import { slosDashboard } from './dashboards/slos.js';

export * from './datasources.js';

export interface GeneratedDashboard {
  /** File name under grafana/dashboards/. */
  file: string;
  json: string;
}

/** Every dashboard as the JSON Grafana provisions, from the SLO definitions of alerts/slos.yaml. */
export function generateDashboards(definitions: Definitions): GeneratedDashboard[] {
  const builders = {
    'service-overview': overviewDashboard(),
    'slos': slosDashboard(definitions),
    'dependencies': dependenciesDashboard(),
    'nodejs-runtime': runtimeDashboard(),
    'telemetry-pipeline': pipelineDashboard(),
  };
  return Object.entries(builders).map(([name, builder]) => ({ file: `${name}.json`, json: `${JSON.stringify(builder.build(), null, 2)}\n` }));
}
