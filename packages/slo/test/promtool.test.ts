import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir, stackBinary, type TempDir } from '@cinemetrics/testing';
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
  assert.equal(ruleFiles().length, 9, 'one file per SLO (eight) and the service alerts');
  const result = await run(promtool, ['check', 'rules', ...ruleFiles().map((file) => repoPath('alerts', file))]);
  assert.equal(result.code, 0, result.output);
  assert.doesNotMatch(result.output, /WARNING/);
});

test('promtool test rules: every alert fires when it should and stays silent when it should not', async () => {
  const files = (await readdir(repoPath('alerts', 'tests'))).filter((file) => file.endsWith('.test.yml')).sort();
  assert.deepEqual(files, [
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
  assert.match(result.output, /2 inhibit rules/);
  assert.match(result.output, /5 receivers/);
});
