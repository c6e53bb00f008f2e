import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import {
  startAlertmanager,
  startWebhookReceiver,
  waitUntil,
  type AlertmanagerServer,
  type WebhookReceiver,
} from '@cinemetrics/testing';
import { HEARTBEAT, loadDefinitions, ownerLabels, ownershipLabels } from '../src/index.js';
import { alertmanagerTestConfig } from './support.js';

/**
 * promtool cannot test inhibition, so alerts shaped like the rules' are posted to a real Alertmanager
 * running alertmanager/alertmanager.yml (webhooks pointed here, grouping delays shortened), and the
 * test looks at which notifications reach the webhook.
 */
const definitions = loadDefinitions();
let webhook: WebhookReceiver;
let alertmanager: AlertmanagerServer;

before(async () => {
  webhook = await startWebhookReceiver();
  alertmanager = await startAlertmanager({ config: await alertmanagerTestConfig(webhook.url) });
});

after(async () => {
  await alertmanager?.dispose();
  await webhook?.close();
});

type Labels = Record<string, string>;

function burn(service: string, sli: 'availability' | 'latency', severity: 'page' | 'ticket', long: string, short: string): Labels {
  return {
    alertname: sli === 'availability' ? 'AvailabilityErrorBudgetBurn' : 'LatencyErrorBudgetBurn',
    severity,
    service,
    slo: `${service}-${sli}`,
    sli,
    long_window: long,
    short_window: short,
    ...ownershipLabels(definitions.ownership, service),
  };
}

function nonSlo(alertname: string, service: string, severity: 'page' | 'ticket'): Labels {
  return { alertname, severity, service, slo: 'none', instance: `${service}:8090`, job: 'cinemetrics', ...ownershipLabels(definitions.ownership, service) };
}

function monitoring(alertname: string, service: string, severity: 'page' | 'ticket' | typeof HEARTBEAT): Labels {
  return { alertname, severity, service, slo: 'none', ...ownerLabels(definitions.monitoringOwner) };
}

async function post(alerts: Labels[]): Promise<void> {
  const body = alerts.map((labels) => ({
    labels,
    annotations: { summary: `${labels['alertname']} ${labels['service']}`, description: 'test', runbook_url: 'https://example.invalid' },
    startsAt: new Date().toISOString(),
    generatorURL: 'http://prometheus.test/graph',
  }));
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

const key = (labels: Labels): string => [labels['alertname'], labels['service'], labels['severity'], labels['long_window'] ?? '-'].join(' ');

test('a page inhibits the tickets of its SLO; ServiceDown inhibits its service\'s SLO alerts; a collector down inhibits the services\' export alerts; nothing else is held back', async () => {
  const alerts = [
    // rating availability: page and both tickets of the same SLO -> only the page is notified
    burn('rating', 'availability', 'page', '1h', '5m'),
    burn('rating', 'availability', 'ticket', '1d', '2h'),
    burn('rating', 'availability', 'ticket', '3d', '6h'),
    // rating latency: a ticket of another SLO of the same service -> notified (different slo)
    burn('rating', 'latency', 'ticket', '1d', '2h'),
    // metadata is down: its SLO alerts (burn and absent) are inhibited, ServiceDown pages
    nonSlo('ServiceDown', 'metadata', 'page'),
    burn('metadata', 'availability', 'page', '1h', '5m'),
    { ...burn('metadata', 'latency', 'page', '1h', '5m'), alertname: 'SLIMetricsAbsent', long_window: '', short_window: '' },
    // ...but a non-SLO ticket of metadata is not inhibited by it
    nonSlo('CpuSaturated', 'metadata', 'ticket'),
    // movie burns because metadata is down: a different service, so it still pages
    burn('movie', 'availability', 'page', '1h', '5m'),
    // a page with slo="none" does not inhibit non-SLO tickets (of the same or another service)
    nonSlo('ServiceDown', 'auth', 'page'),
    nonSlo('EventLoopLagHigh', 'auth', 'ticket'),
    // the collector is down: the services' export alerts say nothing more, the heartbeat goes on
    monitoring('MonitoringComponentDown', 'otel-collector', 'ticket'),
    { ...nonSlo('TelemetryExportFailing', 'movie', 'ticket'), signal: 'spans' },
    { ...nonSlo('TelemetryDropped', 'rating', 'ticket'), signal: 'logs' },
    monitoring('Watchdog', 'prometheus', HEARTBEAT),
  ].map((labels) => Object.fromEntries(Object.entries(labels).filter(([, value]) => value !== '')));
  await post(alerts);

  const expectedNotified = [
    'AvailabilityErrorBudgetBurn rating page 1h',
    'LatencyErrorBudgetBurn rating ticket 1d',
    'ServiceDown metadata page -',
    'CpuSaturated metadata ticket -',
    'AvailabilityErrorBudgetBurn movie page 1h',
    'ServiceDown auth page -',
    'EventLoopLagHigh auth ticket -',
    'MonitoringComponentDown otel-collector ticket -',
    `Watchdog prometheus ${HEARTBEAT} -`,
  ].sort();
  const notified = (): string[] => [...new Set(webhook.notifications().flatMap((notification) => notification.alerts.map((alert) => key(alert.labels))))].sort();
  await waitUntil(() => (notified().length >= expectedNotified.length ? true : undefined), {
    timeoutMs: 20_000,
    what: 'a notification for every alert that is not inhibited',
    describe: () => `notified so far: ${notified().join(', ')}`,
  });
  // Grouping waits 1 s and the interval is 1 s: after 3 s more, anything inhibited would have arrived.
  await delay(3_000);
  assert.deepEqual(notified(), expectedNotified);

  // Alertmanager agrees: the others are suppressed, each by the alert that explains it.
  const held = await alertmanager.alerts();
  const suppressed = held
    .filter((alert) => alert.status.state === 'suppressed')
    .map((alert) => {
      const by = held.find((other) => alert.status.inhibitedBy.includes(other.fingerprint));
      return `${key(alert.labels)} <- ${by === undefined ? '?' : key(by.labels)}`;
    })
    .sort();
  assert.deepEqual(suppressed, [
    'AvailabilityErrorBudgetBurn metadata page 1h <- ServiceDown metadata page -',
    'AvailabilityErrorBudgetBurn rating ticket 1d <- AvailabilityErrorBudgetBurn rating page 1h',
    'AvailabilityErrorBudgetBurn rating ticket 3d <- AvailabilityErrorBudgetBurn rating page 1h',
    'SLIMetricsAbsent metadata page - <- ServiceDown metadata page -',
    'TelemetryDropped rating ticket - <- MonitoringComponentDown otel-collector ticket -',
    'TelemetryExportFailing movie ticket - <- MonitoringComponentDown otel-collector ticket -',
  ]);
});

test('routing: pages go to the page receiver, tickets to the ticket receiver, the Watchdog to the heartbeat receiver, grouped by service and alertname', () => {
  for (const notification of webhook.notifications()) {
    const severities = new Set(notification.alerts.map((alert) => alert.labels['severity']));
    assert.equal(severities.size, 1, 'one severity per notification');
    const [severity] = severities;
    assert.equal(notification.receiver, severity);
    assert.deepEqual(Object.keys(notification.groupLabels).sort(), ['alertname', 'service']);
    assert.equal(notification.status, 'firing');
  }
  // Ownership labels travel with the alert, so the notification says who owns it.
  const ratingPage = webhook
    .notifications()
    .find((notification) => notification.groupLabels['service'] === 'rating' && notification.receiver === 'page');
  assert.equal(ratingPage?.commonLabels['team'], 'community');
  assert.equal(ratingPage?.commonLabels['oncall_rotation'], 'PCOMMU1');
  assert.equal(ratingPage?.commonLabels['support_channel'], '#community-support');
});
