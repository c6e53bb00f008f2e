import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir, stackBinary, type TempDir } from '@cinemetrics/testing';
import { parse } from 'yaml';
import { repoPath, run } from './support.js';

// The same versions as the stack runs: built from their pinned modules by npm run stack:build.
let promtool = '';
let amtool = '';
before(async () => {
  promtool = await stackBinary('prometheus', 'promtool');
  amtool = await stackBinary('alertmanager', 'amtool');
});

const temps: TempDir[] = [];

/** The generated rule files: alerts/*.rules.yml. */
const ruleFiles = (): string[] => readdirSync(repoPath('alerts')).filter((file) => file.endsWith('.rules.yml'));
after(async () => {
  for (const dir of temps) await dir.remove();
});

test('promtool check config: prometheus.yml with the local target list (the repository layout)', async () => {
  const result = await run(promtool, ['check', 'config', repoPath('prometheus', 'prometheus.yml')]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, new RegExp(`SUCCESS: ${ruleFiles().length} rule files found`));
  assert.match(result.output, /prometheus\.yml is valid prometheus config file syntax/);
});

test('promtool check config: the same prometheus.yml with the compose target list mounted in', async () => {
  // The compose layout: /etc/prometheus/{prometheus.yml,targets/active.json <- compose.json}, /etc/alerts.
  const dir = await makeTempDir('cinemetrics-compose-layout-');
  temps.push(dir);
  await mkdir(path.join(dir.path, 'prometheus', 'targets'), { recursive: true });
  await cp(repoPath('prometheus', 'prometheus.yml'), path.join(dir.path, 'prometheus', 'prometheus.yml'));
  await cp(repoPath('prometheus', 'targets', 'compose.json'), path.join(dir.path, 'prometheus', 'targets', 'active.json'));
  await symlink(repoPath('alerts'), path.join(dir.path, 'alerts'));
  const result = await run(promtool, ['check', 'config', path.join(dir.path, 'prometheus', 'prometheus.yml')]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, new RegExp(`SUCCESS: ${ruleFiles().length} rule files found`));
});

test('promtool check rules: every generated rule file', async () => {
  assert.equal(ruleFiles().length, 10, "one file per SLO (eight), the service alerts and the monitoring's own");
  const result = await run(promtool, ['check', 'rules', ...ruleFiles().map((file) => repoPath('alerts', file))]);
  assert.equal(result.code, 0, result.output);
  assert.doesNotMatch(result.output, /WARNING/);
});

test('promtool test rules: every alert fires when it should and stays silent when it should not', async () => {
  const files = (await readdir(repoPath('alerts', 'tests'))).filter((file) => file.endsWith('.test.yml')).sort();
  assert.deepEqual(files, [
    'monitoring.test.yml',
    'service.test.yml',
    'slo-absent.test.yml',
    'slo-availability.test.yml',
    'slo-budget.test.yml',
    'slo-latency.test.yml',
    'slo-slow-burn.test.yml',
  ]);
  // One promtool per file, side by side: each evaluates every rule at every step of its series.
  const results = await Promise.all(files.map((file) => run(promtool, ['test', 'rules', file], repoPath('alerts', 'tests'))));
  results.forEach((result, index) => {
    assert.equal(result.code, 0, `${files[index]}:\n${result.output}`);
    assert.match(result.output, /SUCCESS/, files[index]);
  });
});

/** The SLI each SLO alert is about; SLIMetricsAbsent is about every SLO. */
const ALERT_SLI: Record<string, string | undefined> = { AvailabilityErrorBudgetBurn: 'availability', LatencyErrorBudgetBurn: 'latency' };

interface RuleTestFile {
  rule_files: string[];
  tests: {
    input_series: { series: string }[];
    alert_rule_test?: { alertname: string }[];
    promql_expr_test?: { expr: string }[];
  }[];
}

test("each SLO rule test loads the rules of every SLO it asserts on, for every service it feeds, so no 'does not fire' holds only because the rules are missing", () => {
  const everySlo = ruleFiles().filter((file) => file.startsWith('slo-'));
  for (const file of readdirSync(repoPath('alerts', 'tests')).filter((name) => name.startsWith('slo-') && name.endsWith('.test.yml'))) {
    const document = parse(readFileSync(repoPath('alerts', 'tests', file), 'utf8')) as RuleTestFile;
    const loaded = new Set(document.rule_files.flatMap((pattern) => (pattern === '../slo-*.rules.yml' ? everySlo : [path.basename(pattern)])));
    for (const group of document.tests) {
      const fed = new Set(group.input_series.flatMap((input) => [...input.series.matchAll(/service="([a-z]+)"/g)].map((match) => match[1])));
      const needed = new Set<string>();
      for (const { alertname } of group.alert_rule_test ?? []) {
        if (alertname === 'SLIMetricsAbsent') everySlo.forEach((slo) => needed.add(slo));
        const sli = ALERT_SLI[alertname];
        if (sli !== undefined) for (const service of fed) needed.add(`slo-${service}-${sli}.rules.yml`);
      }
      for (const { expr } of group.promql_expr_test ?? []) for (const [, slo] of expr.matchAll(/slo="([a-z-]+)"/g)) needed.add(`slo-${slo}.rules.yml`);
      const missing = [...needed].filter((needs) => everySlo.includes(needs) && !loaded.has(needs));
      assert.deepEqual(missing, [], `${file}: rule_files lacks what its tests assert on`);
    }
  }
});

test('promtool test rules fails when an expectation is wrong (the tests can fail)', async () => {
  // A copy of the latency test expecting the page one minute early.
  const dir = await makeTempDir('cinemetrics-promtool-negative-');
  temps.push(dir);
  const { readFile, writeFile } = await import('node:fs/promises');
  const text = (await readFile(repoPath('alerts', 'tests', 'slo-latency.test.yml'), 'utf8'))
    .replaceAll('../slo-', `${repoPath('alerts')}/slo-`)
    .replace('- eval_time: 38m', '- eval_time: 37m');
  await writeFile(path.join(dir.path, 'negative.test.yml'), text);
  const result = await run(promtool, ['test', 'rules', 'negative.test.yml'], dir.path);
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /alertname: LatencyErrorBudgetBurn, time: 37m/);
});

test('amtool check-config: alertmanager.yml', async () => {
  const result = await run(amtool, ['check-config', repoPath('alertmanager', 'alertmanager.yml')]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
  assert.match(result.output, /3 inhibit rules/);
  assert.match(result.output, /6 receivers/);
});
