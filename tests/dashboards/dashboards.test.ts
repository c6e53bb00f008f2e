import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from '@cinemetrics/stack';
import { staleDashboards } from '@cinemetrics/grafana/cli';
import { committedDashboards, provisionedDatasources, type Dashboard } from './support.js';

const dashboards = committedDashboards();

test('the committed dashboards are exactly what npm run dashboards generates', () => {
  assert.deepEqual(staleDashboards(), [], 'run npm run dashboards and commit grafana/dashboards');
  assert.equal(dashboards.size, 5);
});

test('every data source uid a dashboard uses is provisioned, with the same type', () => {
  const provisioned = provisionedDatasources();
  const problems: string[] = [];
  const check = (where: string, ref: { type?: string; uid?: string } | undefined): void => {
    if (ref?.uid === undefined) return;
    if (!provisioned.has(ref.uid)) problems.push(`${where}: uid ${ref.uid} is not provisioned`);
    else if (ref.type !== undefined && provisioned.get(ref.uid) !== ref.type) problems.push(`${where}: uid ${ref.uid} is a ${provisioned.get(ref.uid)}, not ${ref.type}`);
  };
  for (const [file, dashboard] of dashboards) {
    for (const panel of dashboard.panels) {
      check(`${file} "${panel.title}"`, panel.datasource);
      for (const target of panel.targets ?? []) check(`${file} "${panel.title}" ${target.refId}`, target.datasource);
    }
    for (const variable of (dashboard.templating.list ?? [])) check(`${file} variable ${variable.name}`, variable.datasource);
  }
  // The data sources' own cross-links (exemplars, traces to logs and metrics, derived fields).
  const config = readFileSync(path.join(REPOSITORY_ROOT, 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8');
  for (const [, uid] of config.matchAll(/datasourceUid:\s*(\S+)/g)) {
    if (!provisioned.has(uid!)) problems.push(`datasources.yaml links to uid ${uid}, which is not provisioned`);
  }
  assert.deepEqual(problems, []);
});

test('every link between dashboards points at a dashboard that exists, and the tag menu finds them all', () => {
  const uids = new Set([...dashboards.values()].map((dashboard) => dashboard.uid));
  const problems: string[] = [];
  const urls = (dashboard: Dashboard): string[] => [
    ...dashboard.links.flatMap((link) => (link.url ? [link.url] : [])),
    ...dashboard.panels.flatMap((panel) => [...(panel.links ?? []), ...(panel.fieldConfig?.defaults?.links ?? [])].flatMap((link) => (link.url ? [link.url] : []))),
  ];
  for (const [file, dashboard] of dashboards) {
    for (const url of urls(dashboard)) {
      const target = /^\/d\/([^/?]+)/.exec(url)?.[1];
      if (target !== undefined && !uids.has(target)) problems.push(`${file}: link ${url} targets a dashboard that does not exist`);
      if (target === undefined && !url.startsWith('${jaeger_ui}/')) problems.push(`${file}: link ${url} is neither a dashboard nor Jaeger`);
    }
    if (urls(dashboard).some((url) => url.includes('${jaeger_ui}')) && !(dashboard.templating.list ?? []).some((v) => v.name === 'jaeger_ui')) problems.push(`${file}: uses \${jaeger_ui} without defining it`);
    const menu = dashboard.links.find((link) => link.type === 'dashboards');
    if (!menu?.tags?.every((tag) => [...dashboards.values()].every((other) => (other as Dashboard & { tags: string[] }).tags.includes(tag)))) {
      problems.push(`${file}: its dashboards menu does not list every dashboard`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every panel has a description, a unit, a unique id, and every variable it uses is defined', () => {
  const problems: string[] = [];
  for (const [file, dashboard] of dashboards) {
    const ids = new Set<number>();
    const variables = new Set((dashboard.templating.list ?? []).map((variable) => variable.name));
    for (const panel of dashboard.panels) {
      if (panel.id === undefined || ids.has(panel.id)) problems.push(`${file} "${panel.title}": missing or duplicate id`);
      ids.add(panel.id ?? -1);
      if (panel.type === 'row') continue;
      if (!panel.description) problems.push(`${file} "${panel.title}": no description`);
      if (!['logs', 'nodeGraph'].includes(panel.type) && !panel.fieldConfig?.defaults?.unit) problems.push(`${file} "${panel.title}": no unit`);
      for (const target of panel.targets ?? []) {
        for (const [, name] of (target.expr ?? '').matchAll(/\$(?!__)(\w+)/g)) {
          if (!variables.has(name!)) problems.push(`${file} "${panel.title}": uses $${name}, which the dashboard does not define`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the SLO dashboard takes each SLO, objective and burn rate from alerts/slos.yaml', () => {
  const slos = parse(readFileSync(path.join(REPOSITORY_ROOT, 'alerts', 'slos.yaml'), 'utf8')) as {
    slos: { name: string; objective: number }[];
    burn_rate_alerts: { burn_rate: number }[];
  };
  const dashboard = dashboards.get('slos.json')!;
  for (const slo of slos.slos) {
    const sli = dashboard.panels.find((panel) => panel.title === `${slo.name}: SLI over 30d`) as unknown as { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } } | undefined;
    assert.ok(sli, `a panel for ${slo.name}`);
    assert.equal(sli.fieldConfig.defaults.thresholds.steps.at(-1)?.value, slo.objective / 100, `${slo.name}'s objective`);
    const burn = dashboard.panels.find((panel) => panel.title === `${slo.name}: burn rate per alert window`) as unknown as { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } };
    const rates = burn.fieldConfig.defaults.thresholds.steps.flatMap((step) => (step.value === null ? [] : [step.value]));
    assert.deepEqual(rates, [...new Set(slos.burn_rate_alerts.map((alert) => alert.burn_rate))].sort((a, b) => a - b));
  }
});
