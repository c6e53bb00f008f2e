import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { errorBudget, type Definitions, type Slo } from '@cinemetrics/slo';
import { DASHBOARD_UIDS } from '../datasources.js';
import { jaegerUiVariable, newDashboard, statPanel, tablePanel, timeSeries } from '../panels.js';

function percent(objective: number): string {
  return `${objective}%`;
}

/** One row per SLO: its SLI, the budget left and the burn rates, with the SLO's own thresholds. */
function sloPanels(definitions: Definitions, slo: Slo): cog.Builder<dashboard.Panel>[] {
  const selector = `slo="${slo.name}"`;
  const budget = errorBudget(slo);
  const what = slo.sli === 'latency' ? `answered within ${(slo.threshold ?? 0) * 1000} ms` : 'answered without a server error';
  return [
    statPanel({
      title: `${slo.name}: SLI over ${slo.window}`,
      description: `Share of ${slo.service}'s requests ${what} over the SLO window (${slo.window}). Objective ${percent(slo.objective)}: red below it. ${slo.description}`,
      unit: 'percentunit',
      decimals: 3,
      queries: [{ expr: `slo:sli:ratio_rate${slo.window}{${selector}}`, legend: slo.name }],
      thresholds: [
        { value: null, color: 'red' },
        { value: slo.objective / 100, color: 'green' },
      ],
      width: 6,
    }),
    statPanel({
      title: `${slo.name}: error budget remaining`,
      description: `How much of the ${slo.window} error budget (${budget} of requests may fail) is left. At 0 the objective is missed; below 25% slow down risky changes.`,
      unit: 'percentunit',
      decimals: 1,
      queries: [{ expr: `slo:period_error_budget_remaining:ratio{${selector}}`, legend: slo.name }],
      thresholds: [
        { value: null, color: 'red' },
        { value: 0, color: 'orange' },
        { value: 0.25, color: 'green' },
      ],
      width: 6,
    }),
    timeSeries({
      title: `${slo.name}: burn rate per alert window`,
      description:
        'How fast the error budget burns over each alert window (1 = the budget lasts exactly the SLO window). ' +
        'A burn-rate alert fires when both its long and short windows exceed its burn rate; the dashed lines are those rates.',
      unit: 'x',
      min: 0,
      queries: definitions.slo.burnRateAlerts.flatMap((alert) => [
        { expr: `slo:sli_error:ratio_rate${alert.longWindow}{${selector}} / ${budget}`, legend: `${alert.longWindow} (${alert.severity} at ${alert.burnRate}x)` },
        { expr: `slo:sli_error:ratio_rate${alert.shortWindow}{${selector}} / ${budget}`, legend: `${alert.shortWindow} (${alert.severity} at ${alert.burnRate}x)` },
      ]),
      thresholds: [
        { value: null, color: 'green' },
        ...[...new Set(definitions.slo.burnRateAlerts.map((alert) => alert.burnRate))]
          .sort((a, b) => a - b)
          .map((rate) => ({ value: rate, color: rate >= 6 ? 'red' : 'orange' })),
      ],
      width: 12,
      dataLinks: [{ title: `Service overview of ${slo.service}`, url: `/d/${DASHBOARD_UIDS.overview}?var-service=${slo.service}` }],
    }),
  ];
}

/** SLOs and error budgets, with the thresholds of alerts/slos.yaml (the same definitions as the rules). */
export function slosDashboard(definitions: Definitions): dashboard.DashboardBuilder {
  let builder = newDashboard(
    DASHBOARD_UIDS.slos,
    'Cinemetrics / SLOs and error budgets',
    'Each SLO of alerts/slos.yaml: its SLI over the SLO window, the error budget left, the burn rate over every alert window, and the alerts firing now.',
  )
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(jaegerUiVariable())
    .withPanel(
      tablePanel({
        title: 'Alerts firing now',
        description:
          'Every page and ticket Prometheus is firing, with its severity, service and SLO (not the Watchdog, whose heartbeat always fires). Each has a runbook (annotation runbook_url, shown in Alertmanager and Grafana alerting).',
        unit: 'short',
        queries: [{ expr: 'ALERTS{alertstate="firing",severity=~"page|ticket"}', legend: '{{alertname}}' }],
        width: 24,
        height: 6,
      }),
    );
  for (const slo of definitions.slo.slos) {
    builder = builder.withRow(new dashboard.RowBuilder(`${slo.name}: ${percent(slo.objective)} over ${slo.window}`));
    for (const panel of sloPanels(definitions, slo)) builder = builder.withPanel(panel);
  }
  return builder;
}
