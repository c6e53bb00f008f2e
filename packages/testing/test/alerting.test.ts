import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  makeTempDir,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  waitUntil,
  type AlertmanagerServer,
  type PrometheusServer,
  type TempDir,
  type WebhookReceiver,
} from '../src/index.js';

/** A rule file as an operator would write it: YAML, with an alert that fires on its first evaluation. */
const RULES_YAML = `groups:
  - name: cinemetrics-test
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels:
          severity: page
        annotations:
          summary: Fires as soon as it is evaluated.
`;

let webhook: WebhookReceiver | undefined;
let alertmanager: AlertmanagerServer | undefined;
let prometheus: PrometheusServer | undefined;
let rulesDir: TempDir | undefined;

after(async () => {
  await prometheus?.dispose();
  await alertmanager?.dispose();
  await webhook?.close();
  await rulesDir?.remove();
});

test('an always-firing rule reaches Alertmanager and then the webhook receiver', async () => {
  webhook = await startWebhookReceiver();
  alertmanager = await startAlertmanager({
    config: {
      route: {
        receiver: 'webhook',
        group_by: ['alertname'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [{ name: 'webhook', webhook_configs: [{ url: webhook.url, send_resolved: true }] }],
    },
  });
  assert.match(alertmanager.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  rulesDir = await makeTempDir('cinemetrics-rules-');
  const rulesFile = join(rulesDir.path, 'alerts.yml');
  await writeFile(rulesFile, RULES_YAML);

  prometheus = await startPrometheus({
    ruleFiles: [rulesFile],
    alertmanagerUrl: alertmanager.url,
    evaluationInterval: '1s',
  });

  const notification = await webhook.waitFor(
    (candidate) => candidate.status === 'firing' && candidate.alerts.some((alert) => alert.labels['alertname'] === 'AlwaysFiring'),
    30_000,
  );
  assert.equal(notification.receiver, 'webhook');
  assert.equal(notification.version, '4');
  assert.equal(notification.externalURL, alertmanager.url);
  assert.deepEqual(notification.groupLabels, { alertname: 'AlwaysFiring' });
  assert.deepEqual(notification.commonLabels, { alertname: 'AlwaysFiring', severity: 'page' });
  assert.deepEqual(notification.commonAnnotations, { summary: 'Fires as soon as it is evaluated.' });
  assert.equal(notification.alerts.length, 1);
  assert.equal(notification.alerts[0]?.status, 'firing');
  assert.match(notification.alerts[0]?.generatorURL ?? '', new RegExp(`^${prometheus.url}/graph`));

  const [group] = await prometheus.rules();
  assert.equal(group?.name, 'cinemetrics-test');
  assert.equal(group?.file, rulesFile);
  assert.deepEqual(
    group?.rules.map((rule) => [rule.name, rule.type, rule.health, rule.state]),
    [['AlwaysFiring', 'alerting', 'ok', 'firing']],
  );
  assert.deepEqual(
    (await prometheus.alerts()).map((alert) => [alert.labels['alertname'], alert.state]),
    [['AlwaysFiring', 'firing']],
  );
  const held = await waitUntil(
    async () => {
      const alerts = await alertmanager!.alerts();
      return alerts.length > 0 ? alerts : undefined;
    },
    { timeoutMs: 5_000, what: 'Alertmanager to list the alert' },
  );
  assert.deepEqual(
    held.map((alert) => [alert.labels['alertname'], alert.status.state, alert.receivers.map((receiver) => receiver.name)]),
    [['AlwaysFiring', 'active', ['webhook']]],
  );
});

test('Alertmanager: a missing binary is reported with the build command, a bad config with its error', async () => {
  await assert.rejects(
    startAlertmanager({ binary: '/nonexistent/alertmanager', config: {} }),
    /npm run stack:build/,
  );
  await assert.rejects(
    startAlertmanager({ config: { route: { receiver: 'nobody' }, receivers: [] } }),
    /alertmanager exited with code 1 before .*\/-\/ready answered 200\..*nobody/s,
  );
});

test('dispose() stops Prometheus and Alertmanager', async () => {
  assert.ok(prometheus !== undefined && alertmanager !== undefined);
  await prometheus.dispose();
  await alertmanager.dispose();
  assert.equal(prometheus.running, false);
  assert.equal(alertmanager.running, false);
  await assert.rejects(alertmanager.alerts(), /not running/);
});
