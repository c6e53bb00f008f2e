import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  Clock,
  COLLECTORS,
  errorBudget,
  HEARTBEAT,
  formatDuration,
  generateRules,
  leMatcher,
  loadDefinitions,
  monitoringAlertGroup,
  NO_SLO,
  parseDuration,
  parseOwnership,
  parseSloDefinitions,
  recordedWindows,
  renderRules,
  runbookFile,
  scaleDuration,
  PROMETHEUS_RULE_PATH,
  staleRuleFiles,
  type AlertingRule,
  type RecordingRule,
  type Rule,
  type RuleGroup,
} from '../src/index.js';
import { repoPath, ROOT, run } from './support.js';

const definitions = loadDefinitions();
const OWNER_LABELS = ['team', 'owner', 'support_channel', 'oncall_rotation'];

interface FileRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The committed rule files as Prometheus reads them. */
async function committedRules(): Promise<FileRule[]> {
  const rules: FileRule[] = [];
  for (const { path: file } of generateRules(definitions)) {
    const document = parse(await readFile(repoPath(file), 'utf8')) as { groups: { rules: FileRule[] }[] };
    for (const group of document.groups) rules.push(...group.rules);
  }
  return rules;
}

test('the committed rule files are exactly what the generator writes', async () => {
  const stale = await staleRuleFiles();
  if (stale.length > 0) {
    // Point at the first differing line, so the failure says what changed.
    const details: string[] = [];
    for (const file of renderRules(definitions).filter((candidate) => stale.includes(candidate.path))) {
      const committed = (await readFile(path.join(ROOT, file.path), 'utf8').catch(() => '')).split('\n');
      const generated = file.content.split('\n');
      const line = generated.findIndex((text, index) => text !== committed[index]);
      details.push(`${file.path}:${line + 1}\n  committed: ${committed[line] ?? '(end of file)'}\n  generated: ${generated[line] ?? '(end of file)'}`);
    }
    assert.fail(`alerts/*.rules.yml are out of date; run \`npm run rules\`:\n${details.join('\n')}`);
  }
  const check = await run(process.execPath, [repoPath('packages', 'slo', 'dist', 'src', 'cli.js'), '--check']);
  assert.equal(check.code, 0, check.output);
});

test('a rule file in alerts/ that the generator no longer writes is stale: Prometheus would still load it', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'cinemetrics-stale-rules-'));
  try {
    await cp(repoPath('alerts'), path.join(root, 'alerts'), { recursive: true });
    await cp(repoPath('ownership.yaml'), path.join(root, 'ownership.yaml'));
    await cp(repoPath(PROMETHEUS_RULE_PATH), path.join(root, PROMETHEUS_RULE_PATH));
    assert.deepEqual(await staleRuleFiles(root), []);
    await writeFile(path.join(root, 'alerts', 'slo.rules.yml'), 'groups: []\n');
    assert.deepEqual(await staleRuleFiles(root), ['alerts/slo.rules.yml']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the CLI writes a time-scaled variant elsewhere and refuses to overwrite alerts/ with one', async () => {
  const out = path.join(tmpdir(), `cinemetrics-rules-${process.pid}`);
  try {
    const cli = repoPath('packages', 'slo', 'dist', 'src', 'cli.js');
    const written = await run(process.execPath, [cli, '--time-scale', '60', '--out', out]);
    assert.equal(written.code, 0, written.output);
    assert.deepEqual((await readdir(out)).sort(), ['monitoring.rules.yml', 'service.rules.yml', ...definitions.slo.slos.map((slo) => `slo-${slo.name}.rules.yml`)].sort());
    const scaled = await readFile(path.join(out, 'slo-movie-availability.rules.yml'), 'utf8');
    assert.match(scaled, /TIME-SCALED for tests: every range window and `for` is divided by 60/);
    const refused = await run(process.execPath, [cli, '--time-scale', '60']);
    assert.equal(refused.code, 2);
    assert.match(refused.output, /--time-scale needs --out/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('the SLOs of the design: movie 99.9% / 250 ms, the others 99.95% / 100 ms, 99% latency, 30 days', () => {
  const table = definitions.slo.slos.map((slo) => [slo.name, slo.objective, slo.threshold ?? null, slo.window]);
  assert.deepEqual(table, [
    ['movie-availability', 99.9, null, '30d'],
    ['movie-latency', 99, 0.25, '30d'],
    ['metadata-availability', 99.95, null, '30d'],
    ['metadata-latency', 99, 0.1, '30d'],
    ['rating-availability', 99.95, null, '30d'],
    ['rating-latency', 99, 0.1, '30d'],
    ['auth-availability', 99.95, null, '30d'],
    ['auth-latency', 99, 0.1, '30d'],
  ]);
  assert.deepEqual(
    definitions.slo.slos.map((slo) => errorBudget(slo)),
    [0.001, 0.01, 0.0005, 0.01, 0.0005, 0.01, 0.0005, 0.01],
  );
});

test('burn-rate tiers: page at 14.4x (1h, 5m) and 6x (6h, 30m), ticket at 3x (1d, 2h) and 1x (3d, 6h)', () => {
  const tiers = definitions.slo.burnRateAlerts.map((tier) => [tier.severity, tier.burnRate, tier.longWindow, tier.shortWindow]);
  assert.deepEqual(tiers, [
    ['page', 14.4, '1h', '5m'],
    ['page', 6, '6h', '30m'],
    ['ticket', 3, '1d', '2h'],
    ['ticket', 1, '3d', '6h'],
  ]);
  // The share of a 30-day budget spent when each fires: burn rate x long window / 30 days.
  const shares = definitions.slo.burnRateAlerts.map((tier) => Math.round(((tier.burnRate * parseDuration(tier.longWindow)) / parseDuration('30d')) * 1000) / 10);
  assert.deepEqual(shares, [2, 5, 10, 10]);
  assert.deepEqual(recordedWindows(definitions), ['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
});

test('every SLO records its ratios over each window, the 30-day SLI, budget and burn rates', () => {
  const groups = generateRules(definitions).flatMap((file) => file.groups);
  for (const slo of definitions.slo.slos) {
    const group: RuleGroup | undefined = groups.find((candidate) => candidate.name === `slo-${slo.name}`);
    assert.ok(group, slo.name);
    const rules: Rule[] = group.rules;
    const records = rules.filter((rule): rule is RecordingRule => 'record' in rule).map((rule) => rule.record);
    for (const window of ['5m', '30m', '1h', '2h', '6h', '1d', '3d']) {
      for (const name of [`slo:sli_requests:rate${window}`, `slo:sli_errors:rate${window}`, `slo:sli_error:ratio_rate${window}`]) {
        assert.ok(records.includes(name), `${slo.name} records ${name}`);
      }
    }
    for (const name of [
      'slo:sli_error:ratio_rate30d',
      'slo:sli:ratio_rate30d',
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
    ]) {
      assert.ok(records.includes(name), `${slo.name} records ${name}`);
    }
    // Recording rules come first in the group: alerts read ratios recorded at the same evaluation.
    const firstAlert = rules.findIndex((rule) => 'alert' in rule);
    assert.ok(rules.slice(firstAlert).every((rule) => 'alert' in rule), `${slo.name}: alerts after all recording rules`);
    const alerts: AlertingRule[] = rules.filter((rule): rule is AlertingRule => 'alert' in rule);
    assert.equal(alerts.length, 5, `${slo.name}: four burn-rate tiers and the absent alert`);
    for (const alert of alerts.slice(0, 4)) {
      assert.match(alert.expr, new RegExp(`slo:sli_requests:rate${alert.labels['long_window']}\\{slo="${slo.name}"\\} >= 0\\.1$`), 'minimum-traffic guard');
    }
  }
});

test('every alert has severity, service, slo and owner labels, a summary, a description with its value and a runbook', async () => {
  const rules = await committedRules();
  const alerts = rules.filter((rule) => rule.alert !== undefined);
  assert.ok(alerts.length >= 80, `${alerts.length} alerting rules`);
  const sloNames = new Set(definitions.slo.slos.map((slo) => slo.name));
  const monitoring = new Set(monitoringAlertGroup(definitions, new Clock()).rules.map((rule) => ('alert' in rule ? rule.alert : undefined)));
  for (const rule of alerts) {
    const where = `${rule.alert} (${rule.labels?.['service']}, ${rule.labels?.['slo']})`;
    const labels = rule.labels ?? {};
    const owner = monitoring.has(rule.alert) ? definitions.monitoringOwner : definitions.ownership[labels['service'] ?? ''];
    if (monitoring.has(rule.alert)) {
      assert.match(labels['severity'] ?? '', rule.alert === 'Watchdog' ? new RegExp(`^${HEARTBEAT}$`) : /^(page|ticket)$/, where);
      // About a component of the stack, whatever its target is called: the series say which.
      assert.ok(labels['service'] !== undefined || /by \(service, instance\b|^up\{service=~/.test(rule.expr), `${where}: the alert keeps the series' service`);
    } else {
      assert.match(labels['severity'] ?? '', /^(page|ticket)$/, where);
      assert.ok(owner, `${where}: service label names an owned service`);
    }
    assert.ok(owner);
    assert.ok(labels['slo'] === NO_SLO || sloNames.has(labels['slo'] ?? ''), `${where}: slo is an SLO name or "${NO_SLO}"`);
    if (labels['slo'] !== NO_SLO) assert.ok(labels['slo']?.startsWith(`${labels['service']}-`), `${where}: the SLO belongs to the service`);
    assert.deepEqual(
      OWNER_LABELS.map((name) => labels[name]),
      [owner.team, owner.accountable, owner.support.slack, owner.oncall.pagerdutyRotation],
      `${where}: ownership labels`,
    );
    const annotations = rule.annotations ?? {};
    assert.deepEqual(Object.keys(annotations).sort(), ['description', 'runbook_url', 'summary'], where);
    assert.ok((annotations['summary'] ?? '').length > 10, `${where}: summary`);
    assert.match(annotations['description'] ?? '', /\{\{ \$value[^}]*\}\}|\{\{ with query /, `${where}: the description shows the current value`);
    const url = annotations['runbook_url'] ?? '';
    assert.ok(url.startsWith(`${definitions.slo.runbookBaseUrl}/`), `${where}: runbook_url under runbook_base_url`);
    const file = repoPath('docs', 'runbooks', url.slice(definitions.slo.runbookBaseUrl.length + 1));
    assert.ok(existsSync(file), `${where}: ${path.relative(ROOT, file)} exists`);
    assert.equal(path.basename(file), runbookFile(rule.alert ?? ''));
  }
  // Two rules of the same alert for the same service must differ in a label, or Alertmanager would
  // see one alert flapping between them.
  const identities = alerts.map((rule) => JSON.stringify({ alert: rule.alert, ...rule.labels }));
  assert.equal(new Set(identities).size, identities.length, 'alert label sets are unique');
});

test('every runbook explains meaning, confirmation and mitigation, and belongs to an alert', async () => {
  const alertNames = new Set((await committedRules()).flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert])));
  const expected = [...alertNames].map(runbookFile).sort();
  const files = (await readdir(repoPath('docs', 'runbooks'))).filter((file) => file !== 'README.md').sort();
  assert.deepEqual(files, expected, 'one runbook per alert, no orphans');
  const index = await readFile(repoPath('docs', 'runbooks', 'README.md'), 'utf8');
  for (const file of files) {
    const text = await readFile(repoPath('docs', 'runbooks', file), 'utf8');
    for (const heading of ['## Meaning', '## Confirm', '## Mitigate']) assert.ok(text.includes(heading), `${file}: ${heading}`);
    assert.ok(index.includes(`(${file})`), `docs/runbooks/README.md links ${file}`);
  }
});

test('every alert has promtool cases in alerts/tests that expect it to fire', async () => {
  const alertNames = [...new Set((await committedRules()).flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert])))].sort();
  const files = (await readdir(repoPath('alerts', 'tests'))).filter((file) => file.endsWith('.test.yml'));
  const firing = new Set<string>();
  for (const file of files) {
    const document = parse(await readFile(repoPath('alerts', 'tests', file), 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    for (const group of document.tests) {
      for (const check of group.alert_rule_test ?? []) if ((check.exp_alerts ?? []).length > 0) firing.add(check.alertname);
    }
  }
  assert.deepEqual(alertNames.filter((name) => !firing.has(name)), [], 'alerts no promtool test sees firing');
});

test('time-scaled rules divide every window and `for`, and keep names and labels', () => {
  const normal = generateRules(definitions);
  const scaled = generateRules(definitions, { timeScale: 60 });
  const rules = (files: typeof normal) => files.flatMap((file) => file.groups.flatMap((group) => group.rules));
  const [a, b] = [rules(normal), rules(scaled)];
  assert.equal(a.length, b.length);
  a.forEach((rule, index) => {
    const other = b[index]!;
    assert.equal('record' in rule ? rule.record : rule.alert, 'record' in other ? other.record : other.alert);
    assert.deepEqual(rule.labels, other.labels);
    // Every [window] in the expression, divided by 60.
    const windows = (expr: string) => [...expr.matchAll(/\[(\w+)\]/g)].map((match) => match[1]!);
    assert.deepEqual(windows(other.expr), windows(rule.expr).map((window) => scaleDuration(window, 60)));
    if ('alert' in rule && 'alert' in other) assert.equal(other.for, rule.for === undefined ? undefined : scaleDuration(rule.for, 60));
  });
  const movieFast = b.find((rule) => 'alert' in rule && rule.labels['slo'] === 'movie-availability' && rule.labels['long_window'] === '1h');
  assert.ok(movieFast !== undefined && 'alert' in movieFast);
  assert.equal(movieFast.for, '2s');
  const ratio1h = b.find((rule) => 'record' in rule && rule.record === 'slo:sli_requests:rate1h');
  assert.match(ratio1h?.expr ?? '', /\[1m\]\)\)$/);
  const period = b.find((rule) => 'record' in rule && rule.record === 'slo:sli_error:ratio_rate30d');
  assert.match(period?.expr ?? '', /\[12h\]\)/);
});

test('durations: parse, format, scale', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('3d'), 259_200_000);
  assert.equal(formatDuration(4_320_000), '1h12m');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(scaleDuration('3d', 60), '1h12m');
  assert.equal(scaleDuration('5m', 60), '5s');
  assert.equal(scaleDuration('30d', 60), '12h');
  assert.throws(() => parseDuration('5 minutes'), /invalid duration "5 minutes"/);
  assert.throws(() => parseDuration('0m'), /longer than zero/);
});

test('rules avoid what Prometheus 3 changed (le normalisation, removed functions)', async () => {
  for (const rule of await committedRules()) {
    // 3.x stores le="1" as le="1.0": integral bucket bounds must be matched by a regex covering both.
    assert.doesNotMatch(rule.expr, /le="\d+"/, `${rule.alert ?? rule.record}: integral le matcher`);
    assert.doesNotMatch(rule.expr, /holt_winters|double_exponential_smoothing/);
    // 3.x-only: quoted UTF-8 metric or label names, which 2.x cannot parse.
    // (Strings are fine elsewhere: label_replace's arguments.)
    const selectors = rule.expr.match(/\{[^}]*\}/g) ?? [];
    assert.ok(!selectors.some((selector) => /[{,]\s*"/.test(selector)), `${rule.alert ?? rule.record}: quoted name in a selector`);
    assert.doesNotMatch(rule.expr, /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*"/, `${rule.alert ?? rule.record}: quoted label in a grouping`);
  }
  assert.equal(leMatcher(0.25), 'le="0.25"');
  assert.equal(leMatcher(1), 'le=~"1|1\\\\.0"');
});

test('invalid definitions are reported with the file and the path of every mistake', () => {
  const valid = readFileSync(repoPath('alerts', 'slos.yaml'), 'utf8');
  const broken = valid
    .replace('name: movie-latency', 'name: movie-availability')
    .replace('window: 30d\n    description: Metadata requests', 'window: thirty days\n    description: Metadata requests')
    .replace('objective: 99.95\n    window: 30d\n    description: Rating reads', 'objective: 100\n    threshold: 0.1\n    window: 30d\n    description: Rating reads');
  assert.throws(
    () => parseSloDefinitions(broken),
    (error: Error) => {
      assert.match(error.message, /slos\[1\]\.name: "movie-availability" is used twice/);
      assert.match(error.message, /slos\[3\]\.window: invalid duration "thirty days"/);
      assert.match(error.message, /slos\[4\]\.objective: a percentage between 0 and 100/);
      assert.match(error.message, /slos\[4\]\.threshold: only latency SLIs have a threshold/);
      return true;
    },
  );
  assert.throws(
    () => parseOwnership('services:\n  movie:\n    team: experience\n    accountable: nobody\n    support: {}\n    oncall: {pagerduty_rotation: P1}\n'),
    /services\.movie\.accountable: "nobody" must match.*\n.*services\.movie\.support\.slack: required/s,
  );
});

test('unknown keys, bad windows and bad patterns are named with their path', () => {
  const valid = readFileSync(repoPath('alerts', 'slos.yaml'), 'utf8');
  const broken = valid
    .replace('  metric: http_server_request_duration_seconds', '  metrics: http_server_request_duration_seconds')
    .replace('error_status: 5..', 'error_status: "5(.."')
    .replace('long_window: 6h, short_window: 30m', 'long_window: 1h, short_window: 2h')
    .replace('burn_rate: 3,', 'burn_rate: -3,')
    .replace('short_window: 6h', 'short_window: six hours');
  assert.throws(
    () => parseSloDefinitions(broken),
    (error: Error) => {
      assert.match(error.message, /^Invalid SLO definitions:\n/);
      assert.match(error.message, /alerts\/slos\.yaml: sli\.metric: required, a non-empty string/);
      assert.match(error.message, /sli\.metrics: unknown key \(allowed: metric, excluded_routes, error_status, not_error_status\)/);
      assert.match(error.message, /sli\.error_status: not a regular expression: /);
      assert.match(error.message, /burn_rate_alerts\[1\]: short_window must be shorter than long_window/);
      assert.match(error.message, /burn_rate_alerts\[1\]\.long_window: used twice/);
      assert.match(error.message, /burn_rate_alerts\[2\]\.burn_rate: required, a number greater than zero/);
      assert.match(error.message, /burn_rate_alerts\[3\]\.short_window: invalid duration "six hours"/);
      return true;
    },
  );
});

test('alertmanager.yml routes and inhibits on labels the rules really set', async () => {
  const config = parse(await readFile(repoPath('alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: { group_by: string[]; routes: { matchers: string[]; receiver: string }[] };
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal?: string[] }[];
  };
  assert.deepEqual(config.route.group_by, ['service', 'alertname']);
  assert.deepEqual(
    config.route.routes.map((route) => [route.matchers, route.receiver]),
    [
      [['alertname="Watchdog"'], HEARTBEAT],
      [['severity="page"'], 'page'],
      [['severity="ticket"'], 'ticket'],
    ],
  );
  const alertNames = new Set((await committedRules()).flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert])));
  for (const rule of config.inhibit_rules) {
    for (const matcher of [...rule.source_matchers, ...rule.target_matchers]) {
      const names = /^alertname=~?"(.+)"$/.exec(matcher)?.[1]?.split('|') ?? [];
      for (const name of names) assert.ok(alertNames.has(name), `${name} is an alert`);
      if (matcher.startsWith('slo')) assert.equal(matcher, `slo!="${NO_SLO}"`);
      if (matcher.startsWith('service')) assert.equal(matcher, `service=~"${COLLECTORS.join('|')}"`);
    }
  }
});
