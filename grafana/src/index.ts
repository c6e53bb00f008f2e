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
  return Object.entries(builders).map(([name, builder]) => {
    const built = builder.build();
    // Grafana needs a unique id per panel; the builders leave it unset.
    (built.panels ?? []).forEach((panel, index) => {
      panel.id = index + 1;
    });
    return { file: `${name}.json`, json: `${JSON.stringify(built, null, 2)}\n` };
  });
}
