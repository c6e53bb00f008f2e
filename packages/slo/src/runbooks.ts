import type { Definitions } from './definitions.js';

/** Runbook file name of an alert: AvailabilityErrorBudgetBurn → availability-error-budget-burn.md */
export function runbookFile(alert: string): string {
  return `${alert
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()}.md`;
}

/** The runbook_url annotation: docs/runbooks/<file> under the configured base URL. */
export function runbookUrl(definitions: Definitions, alert: string): string {
  return `${definitions.slo.runbookBaseUrl}/${runbookFile(alert)}`;
}
