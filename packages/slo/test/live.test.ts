import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import {
  freePort,
  makeTempDir,
  startAlertmanager,
  startOtlpReceiver,
  startPrometheus,
  startService,
  startWebhookReceiver,
  waitUntil,
  type AlertmanagerAlert,
  type AlertmanagerServer,
  type OtlpReceiver,
  type PrometheusRuleGroup,
  type PrometheusServer,
  type StartedService,
  type TempDir,
  type WebhookAlert,
  type WebhookNotification,
  type WebhookReceiver,
} from '@cinemetrics/testing';
import { generateRules, loadDefinitions, writeRules } from '../src/index.js';
import { alertmanagerTestConfig, repoPath } from './support.js';

/**
 * End to end, on loopback: metadata and movie (in-memory stores) under steady traffic, scraped every
 * half second by a real Prometheus with the job from prometheus/prometheus.yml, evaluating the rules the
 * generator writes TIME-SCALED by 120 (a 1h window lasts 30 seconds, `for: 2m` lasts 1 second, the
 * shortest window, 5m, 2.5 seconds: five scrapes; see docs/alerting.md), and notifying a real
 * Alertmanager that runs alertmanager/alertmanager.yml with its webhooks pointed at this test. Faults
 * injected through each service's admin API make it fail.
 */
const TIME_SCALE = 120;
/** Scrape and evaluation interval: a fifth of the shortest time-scaled window. */
const INTERVAL = '500ms';
const ADMIN_TOKEN = 'live-test-admin-token-0123456789';
const definitions = loadDefinitions();

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

async function setFaults(service: StartedService, rules: unknown[] | undefined): Promise<void> {
  const response = await fetch(`${service.adminUrl}/admin/faults`, {
    method: rules === undefined ? 'DELETE' : 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(rules === undefined ? {} : { body: JSON.stringify({ rules }) }),
  });
  assert.ok(response.ok, `${rules === undefined ? 'DELETE' : 'PUT'} ${service.service} /admin/faults: ${response.status} ${await response.text()}`);
}

/** Requests in a loop until stopped: `workers` concurrent clients, each pausing `pauseMs` between requests. */
function traffic(url: (n: number) => string, workers: number, pauseMs: number): { stop: () => Promise<void>; sent: () => number } {
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      sent += 1;
      await fetch(url(sent), { signal: AbortSignal.timeout(5_000) })
        .then((response) => response.arrayBuffer())
        .catch(() => undefined);
      await delay(pauseMs);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    sent: () => sent,
  };
}

const isAlert = (alert: WebhookAlert | AlertmanagerAlert, labels: Record<string, string>): boolean =>
  Object.entries(labels).every(([name, value]) => alert.labels[name] === value);

function firing(labels: Record<string, string>): (notification: WebhookNotification) => boolean {
  return (notification) => notification.alerts.some((alert) => alert.status === 'firing' && isAlert(alert, labels));
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset']);

/**
 * Every metric name a rule expression reads (recorded `slo:` series included): the names left once
 * strings, selectors' braces, ranges and grouping clauses are taken out, other than functions and
 * operators.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((match) => match[1]!).filter((name) => !PROMQL_WORDS.has(name));
}

interface RuleFindings {
  loaded: number;
  /** `group/rule: health lastError` of each rule whose last evaluation failed. */
  unhealthy: string[];
  /** `group/rule` of each rule not evaluated yet. */
  neverEvaluated: string[];
}

function ruleFindings(groups: PrometheusRuleGroup[]): RuleFindings {
  const rules = groups.flatMap((group) => group.rules.map((rule) => ({ group: group.name, ...rule })));
  return {
    loaded: rules.length,
    unhealthy: rules.filter((rule) => rule.health !== 'ok' || (rule.lastError ?? '') !== '').map((rule) => `${rule.group}/${rule.name}: ${rule.health} ${rule.lastError ?? ''}`),
    neverEvaluated: rules.filter((rule) => rule.lastEvaluation === undefined || rule.lastEvaluation.startsWith('0001-')).map((rule) => `${rule.group}/${rule.name}`),
  };
}

/**
 * The rule groups once every rule has been evaluated without error, or, after 15 s, as they are.
 * A rule's error is its last evaluation's. Prometheus can evaluate a group twice at one timestamp when
 * its timer's ticks arrive late (a loaded machine): the second result is then refused as a duplicate
 * sample and that one evaluation fails. The next clears it; an error in the rule itself stays.
 */
async function rulesOnceHealthy(prometheus: PrometheusServer, expectedRules: number): Promise<PrometheusRuleGroup[]> {
  let groups: PrometheusRuleGroup[] = [];
  const healthy = async (): Promise<PrometheusRuleGroup[] | undefined> => {
    groups = await prometheus.rules();
    const findings = ruleFindings(groups);
    return findings.loaded === expectedRules && findings.unhealthy.length === 0 && findings.neverEvaluated.length === 0 ? groups : undefined;
  };
  // On a timeout the caller's assertions name what is wrong.
  return waitUntil(healthy, { timeoutMs: 15_000, intervalMs: 250, what: 'every rule evaluated without error' }).catch(() => groups);
}

function assertEveryRuleHealthy(groups: PrometheusRuleGroup[], expectedRules: number, what: string): void {
  const findings = ruleFindings(groups);
  assert.equal(findings.loaded, expectedRules, `${what}: every generated rule is loaded`);
  assert.deepEqual(findings.unhealthy, [], `${what}: every rule evaluates without error`);
  assert.deepEqual(findings.neverEvaluated, [], `${what}: every rule has been evaluated`);
}

test('live: a failing service pages through Prometheus and Alertmanager, resolves, and a stopped one pages as down', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const mark = (what: string): void => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

  // --- rules, time-scaled from the same generator -------------------------------------------
  const dir: TempDir = await makeTempDir('cinemetrics-live-alerts-');
  cleanup.push(() => dir.remove());
  const scaledFiles = await writeRules({ timeScale: TIME_SCALE, outDir: path.join(dir.path, 'scaled') });
  const committedFiles = generateRules(definitions).map((file) => repoPath(...file.path.split('/')));
  const ruleCount = generateRules(definitions).reduce((sum, file) => sum + file.groups.reduce((n, group) => n + group.rules.length, 0), 0);

  // --- services under traffic ------------------------------------------------------------------
  const otlp: OtlpReceiver = await startOtlpReceiver();
  cleanup.push(() => otlp.close());
  const common = {
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // Traces are not what this test is about; a production-like sampling rate keeps its CPU for the alerts.
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  };
  const metadata = await startService('metadata', { env: common });
  cleanup.push(() => metadata.stop());
  // Nothing listens on the rating port: movie answers degraded, as the design says.
  const movie = await startService('movie', { env: { ...common, METADATA_URL: metadata.url, RATING_URL: `http://127.0.0.1:${await freePort()}` } });
  cleanup.push(() => movie.stop());
  const metadataTraffic = traffic((n) => `${metadata.url}/metadata/tt${n}`, 2, 100);
  const movieTraffic = traffic((n) => `${movie.url}/movies/tt${n}`, 4, 100);
  cleanup.push(() => metadataTraffic.stop(), () => movieTraffic.stop());
  mark('services up, traffic flowing');

  // --- Alertmanager and Prometheus, configured from the committed files -----------------------
  const webhook: WebhookReceiver = await startWebhookReceiver();
  cleanup.push(() => webhook.close());
  const alertmanager: AlertmanagerServer = await startAlertmanager({ config: await alertmanagerTestConfig(webhook.url) });
  cleanup.push(() => alertmanager.dispose());

  const prometheusYml = parse(await readFile(repoPath('prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: Record<string, unknown>[] };
  const job = prometheusYml.scrape_configs.find((config) => config['job_name'] === 'cinemetrics');
  assert.ok(job, 'prometheus.yml has the cinemetrics job');
  const targetsFile = path.join(dir.path, 'targets.json');
  // Same shape as prometheus/targets/local.json, with the test's ports; Prometheus itself once it listens.
  const writeTargets = (prometheusAddress?: string): Promise<void> =>
    writeFile(
      targetsFile,
      JSON.stringify([
        { targets: [`127.0.0.1:${metadata.adminPort}`], labels: { service: 'metadata' } },
        { targets: [`127.0.0.1:${movie.adminPort}`], labels: { service: 'movie' } },
        { targets: [new URL(alertmanager.url).host], labels: { service: 'alertmanager' } },
        ...(prometheusAddress === undefined ? [] : [{ targets: [prometheusAddress], labels: { service: 'prometheus' } }]),
      ]),
    );
  await writeTargets();
  const prometheus: PrometheusServer = await startPrometheus({
    scrapeConfigs: [{ ...job, file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }] }],
    ruleFiles: scaledFiles,
    alertmanagerUrl: alertmanager.url,
    scrapeInterval: INTERVAL,
    evaluationInterval: INTERVAL,
  });
  cleanup.push(() => prometheus.dispose());
  await writeTargets(new URL(prometheus.url).host);
  const targets = await prometheus.waitForTargetsUp(4);
  assert.deepEqual(targets.map((target) => [target.labels['job'], target.labels['service']]).sort(), [
    ['cinemetrics', 'alertmanager'],
    ['cinemetrics', 'metadata'],
    ['cinemetrics', 'movie'],
    ['cinemetrics', 'prometheus'],
  ]);
  mark('Prometheus scraping both services, Alertmanager and itself');

  // The heartbeat: the Watchdog reaches its own receiver, never a person's.
  const heartbeat = await webhook.waitFor(firing({ alertname: 'Watchdog' }), 60_000);
  assert.equal(heartbeat.receiver, 'heartbeat');
  mark('the Watchdog reached the heartbeat receiver');

  // --- healthy: the minimum traffic is there and nothing about metadata or movie fires ----------
  await waitUntil(
    async () => ((await prometheus.query('slo:sli_requests:rate1h{slo=~"metadata-availability|movie-availability"} >= 0.1')).length === 2 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500, what: 'both services above the minimum-traffic guard' },
  );
  await delay(3_000);
  // Availability only: every answer is a 404 (not an error), deterministic; latency on a busy test
  // machine is not. A burn-rate alert must not even be pending; SLIMetricsAbsent may be pending for an
  // evaluation after one scrape missed its 500 ms timeout on a busy machine — its `for` is what keeps
  // that from paging — but never firing.
  const healthyAlerts = (await prometheus.alerts()).filter(
    (alert) =>
      ['metadata', 'movie'].includes(alert.labels['service'] ?? '') &&
      alert.labels['sli'] === 'availability' &&
      (alert.labels['alertname'] !== 'SLIMetricsAbsent' || alert.state === 'firing'),
  );
  assert.deepEqual(healthyAlerts.map((alert) => `${alert.labels['alertname']} ${alert.labels['slo']} ${alert.state}`), [], 'no availability alert while healthy');
  // rating and auth are not running at all: blind SLOs page (the absent alert, over real data).
  const absent = await webhook.waitFor(firing({ alertname: 'SLIMetricsAbsent', service: 'rating', slo: 'rating-availability' }), 30_000);
  assert.match(absent.alerts.find((alert) => alert.labels['slo'] === 'rating-availability')?.annotations['description'] ?? '', /Scrape targets: none, the service is not in the target list\./);
  mark('healthy: no availability alert for metadata or movie; SLIMetricsAbsent paged for rating');

  // --- metadata fails every request, movie turns slow -------------------------------------------
  await setFaults(metadata, [{ route: '*', errorRate: 1 }]);
  await setFaults(movie, [{ route: '*', latency: { fixedMs: 300 } }]);
  const faultsOn = Date.now();
  mark('faults on: metadata errorRate 1, movie latency 300 ms');

  const metadataPage = { alertname: 'AvailabilityErrorBudgetBurn', service: 'metadata', severity: 'page', long_window: '1h' };
  const page = await webhook.waitFor(firing(metadataPage), 60_000);
  assert.equal(page.receiver, 'page');
  assert.deepEqual(page.groupLabels, { alertname: 'AvailabilityErrorBudgetBurn', service: 'metadata' });
  const pageAlert = page.alerts.find((alert) => isAlert(alert, metadataPage));
  assert.ok(pageAlert);
  assert.deepEqual(
    ['slo', 'sli', 'team', 'owner', 'support_channel', 'oncall_rotation'].map((label) => pageAlert.labels[label]),
    ['metadata-availability', 'availability', 'catalog', 'catalog-em@cinemetrics.example', '#catalog-support', 'PCATLG1'],
  );
  assert.match(pageAlert.annotations['description'] ?? '', /errors over the last 1h ran at \d+\.\d× the rate the error budget allows/);
  assert.equal(pageAlert.annotations['runbook_url'], `${definitions.slo.runbookBaseUrl}/availability-error-budget-burn.md`);
  mark(`metadata availability page received ${((Date.now() - faultsOn) / 1000).toFixed(1)} s after the fault`);

  // movie: its own availability burns (metadata's 500s become 503s) and its latency SLO burns.
  await webhook.waitFor(firing({ alertname: 'AvailabilityErrorBudgetBurn', service: 'movie', severity: 'page' }), 30_000);
  await webhook.waitFor(firing({ alertname: 'LatencyErrorBudgetBurn', service: 'movie', severity: 'page', long_window: '1h' }), 30_000);
  mark('movie availability and latency pages received');

  // --- while the incident lasts: every rule evaluates over real data --------------------------------
  assertEveryRuleHealthy(await rulesOnceHealthy(prometheus, ruleCount), ruleCount, 'time-scaled rules');
  const scaledRules = generateRules(definitions, { timeScale: TIME_SCALE }).flatMap((file) => file.groups.flatMap((group) => group.rules));
  const names = [...new Set(scaledRules.flatMap((rule) => metricNames(rule.expr)))].sort();
  const withoutData: string[] = [];
  for (const name of names) {
    const found = await prometheus.query(`count(last_over_time(${name}{service=~"metadata|movie|prometheus|alertmanager"}[1m]))`);
    if (found.length === 0) withoutData.push(name);
  }
  // The SDK's exporter counters are not emitted by every OTLP exporter; the processor counters (also
  // read by TelemetryExportFailing) are. The ones with `error_type` only appear once something fails.
  // No collector runs here (tests/stack has one): its counters are the promtool tests' business.
  assert.deepEqual(
    withoutData.filter((name) => !name.startsWith('otel_sdk_exporter_') && !name.startsWith('otelcol_')),
    [],
    `metrics read by the rules without data: ${withoutData.join(', ')}`,
  );
  if (withoutData.length > 0) t.diagnostic(`without data here, the rules still evaluate (no collector; exporter counters this SDK build does not emit): ${withoutData.join(', ')}`);
  const recorded = await prometheus.query('count by (__name__) ({__name__=~"slo:.+", slo="metadata-availability"})');
  assert.equal(recorded.length, new Set(scaledRules.flatMap((rule) => ('record' in rule ? [rule.record] : []))).size, 'every recording rule produced a series');
  mark(`all ${ruleCount} rules healthy; ${names.length - withoutData.length} of the ${names.length} metric names read have data`);

  // --- the ticket of the same SLO fires too (for: 1h / 60) and is inhibited by the page ------------
  const ticket = await waitUntil(
    async () =>
      (await alertmanager.alerts()).find(
        (alert) => isAlert(alert, { alertname: 'AvailabilityErrorBudgetBurn', service: 'metadata', severity: 'ticket' }) && alert.status.state === 'suppressed',
      ),
    { timeoutMs: 90_000, intervalMs: 500, what: 'the metadata availability ticket, suppressed by the page' },
  );
  const inhibitor = (await alertmanager.alerts()).find((alert) => ticket.status.inhibitedBy.includes(alert.fingerprint));
  assert.equal(inhibitor?.labels['severity'], 'page');
  assert.equal(inhibitor?.labels['slo'], 'metadata-availability');
  assert.ok(
    !webhook.notifications().some(firing({ alertname: 'AvailabilityErrorBudgetBurn', service: 'metadata', severity: 'ticket' })),
    'no ticket notification for an SLO that pages',
  );
  mark('metadata availability ticket fired and is inhibited by the page');

  // --- faults off: the page resolves ------------------------------------------------------------------
  await setFaults(metadata, undefined);
  await setFaults(movie, undefined);
  const faultsOff = Date.now();
  const resolved = await webhook.waitFor(
    (notification) =>
      notification.status === 'resolved' &&
      notification.receiver === 'page' &&
      notification.groupLabels['service'] === 'metadata' &&
      notification.groupLabels['alertname'] === 'AvailabilityErrorBudgetBurn',
    90_000,
  );
  assert.ok(resolved.alerts.every((alert) => alert.status === 'resolved'));
  mark(`metadata page resolved ${((Date.now() - faultsOff) / 1000).toFixed(1)} s after the faults were removed`);

  // --- metadata stops: ServiceDown pages and explains its SLO alerts --------------------------------
  // Before its targets are first scraped, a slow start can page SLIMetricsAbsent for metadata too: only
  // what is notified from here on is about the stop.
  const notifiedBeforeStop = webhook.notifications().length;
  await metadata.stop();
  const stopped = Date.now();
  const down = await webhook.waitFor(firing({ alertname: 'ServiceDown', service: 'metadata' }), 30_000);
  const downAlert = down.alerts.find((alert) => alert.labels['alertname'] === 'ServiceDown');
  assert.equal(down.receiver, 'page');
  assert.equal(downAlert?.labels['instance'], `127.0.0.1:${metadata.adminPort}`);
  assert.equal(downAlert?.labels['slo'], 'none');
  assert.match(downAlert?.annotations['description'] ?? '', /^up = 0 for 127\.0\.0\.1:\d+ \(job cinemetrics\)/);
  mark(`ServiceDown received ${((Date.now() - stopped) / 1000).toFixed(1)} s after metadata stopped`);
  // Its SLI series are gone too: SLIMetricsAbsent fires (for: 10m / 60) and is inhibited by ServiceDown.
  await waitUntil(
    async () =>
      (await alertmanager.alerts()).find(
        (alert) =>
          isAlert(alert, { alertname: 'SLIMetricsAbsent', service: 'metadata' }) &&
          alert.status.state === 'suppressed' &&
          alert.status.inhibitedBy.length > 0,
      ),
    { timeoutMs: 30_000, intervalMs: 500, what: 'metadata SLIMetricsAbsent, suppressed by ServiceDown' },
  );
  assert.ok(
    !webhook.notifications().slice(notifiedBeforeStop).some(firing({ alertname: 'SLIMetricsAbsent', service: 'metadata' })),
    'no SLIMetricsAbsent notification for a service that is down',
  );
  mark('metadata SLIMetricsAbsent fired and is inhibited by ServiceDown');

  // --- the alerting path worked throughout: its own alerts stayed quiet, its heartbeat kept firing ------
  // Firing ones only, as for SLIMetricsAbsent above: a busy machine can miss a scrape or two. And not
  // RuleEvaluationsMissed: a loaded test machine can be slower than the half-second evaluation interval.
  const monitoringAlerts = (await prometheus.alerts()).filter(
    (alert) => alert.labels['team'] === definitions.monitoringOwner.team && alert.state === 'firing' && alert.labels['alertname'] !== 'RuleEvaluationsMissed',
  );
  assert.deepEqual(
    monitoringAlerts.map((alert) => alert.labels['alertname']),
    ['Watchdog'],
    'no alert about the monitoring itself fires while it works',
  );
  mark('the monitoring alerts stayed quiet, the Watchdog fired');

  // --- the committed, unscaled rules load and evaluate over the same data ---------------------------
  await prometheus.reload({ ruleFiles: committedFiles });
  assertEveryRuleHealthy(await rulesOnceHealthy(prometheus, ruleCount), ruleCount, 'committed rules');
  mark('committed rules loaded and evaluated without error');
});
