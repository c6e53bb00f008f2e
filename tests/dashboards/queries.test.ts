/**
 * Every query of every generated dashboard, run against the real backends of the native stack with
 * the four services on MariaDB, under load, with a fault injected: each must parse, and each must
 * return data unless it is listed in ABSENT with the reason it has none here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpJson, prometheusApi } from '@cinemetrics/testing';
import { startFullStack, type FullStack } from '../stack/support.js';
import { committedDashboards, type Dashboard } from './support.js';

/** Queries with no data in this test (matched on `file "panel title`), and why. They must still parse. */
const ABSENT: Record<string, string> = {
  'slos.json "Alerts firing now': 'no alert has been firing for its `for` duration within the test',
  'dependencies.json "Rejected inbound requests': 'rate limiting is off and nothing is shed: nothing is rejected',
  ...Object.fromEntries(
    ['C', 'D', 'E'].map((refId) => [
      `telemetry-pipeline.json "Collector: refused and failed per signal" ${refId}`,
      'no exporter fails here; the collector creates its send_failed counters with the first failure',
    ]),
  ),
};

/** Values a user would pick; `$__rate_interval` as Grafana computes it for a 15 s scrape interval. */
const VARIABLES: Record<string, string> = { service: 'movie', route: '.*', instance: '.*', __rate_interval: '1m' };

function substitute(expr: string, overrides: Record<string, string> = {}): string {
  const values = { ...VARIABLES, ...overrides };
  return expr.replace(/\$(\w+)/g, (whole, name: string) => values[name] ?? whole);
}

/** The service picked on each dashboard with a $service variable ("All" elsewhere). */
const SERVICE_FOR: Record<string, string> = { 'service-overview.json': 'movie' };

let system: FullStack;
let stopLoad: () => Promise<void>;
const startedAt = Date.now();

/** Bounded background traffic: stored movies read through movie, unknown ids, catalogue pages, auth's key set. */
function driveLoad(stack: FullStack): () => Promise<void> {
  let running = true;
  const deadline = Date.now() + 6 * 60_000;
  const loop = (async () => {
    const ids: string[] = [];
    const [admin, loadgen] = await Promise.all([stack.identities.adminHeaders(), stack.identities.user('loadgen')]);
    for (let i = 0; i < 10; i += 1) {
      const id = `tt${String(8_000_000 + i).padStart(7, '0')}`;
      await httpJson('PUT', `${stack.services.metadata.url}/metadata/${id}`, { title: `Movie ${i}`, year: 1990 + i }, admin);
      await httpJson('PUT', `${stack.services.rating.url}/ratings/movie/${id}`, { value: 1 + (i % 5) }, loadgen.headers);
      ids.push(id);
    }
    for (let n = 0; running && Date.now() < deadline; n += 1) {
      const id = n % 10 === 9 ? 'tt9999999' : ids[n % ids.length]!;
      await Promise.all([
        httpJson('GET', `${stack.services.movie.url}/movies/${id}`),
        httpJson('GET', `${stack.services.metadata.url}/metadata?limit=5`),
        httpJson('GET', `${stack.services.rating.url}/ratings/movie/${id}`),
        httpJson('GET', `${stack.services.auth.url}/.well-known/jwks.json`),
      ]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

before(async () => {
  // rating fails a fifth of its reads and answers some slower than movie waits: 5xx ratios and SLOs
  // move, movie retries the timeouts and its breaker counts the failures.
  const faults = JSON.stringify({ rules: [{ route: '/ratings/:recordType/:recordId', method: 'GET', errorRate: 0.2, latency: { minMs: 0, maxMs: 150 } }] });
  system = await startFullStack({ serviceEnv: { rating: { FAULTS: faults }, movie: { DOWNSTREAM_TIMEOUT_MS: '120' } } });
  stopLoad = driveLoad(system);
});
after(async () => {
  await stopLoad?.();
  await system?.stop();
});

interface Check {
  where: string;
  run: () => Promise<number>;
}

function prometheusChecks(file: string, dashboard: Dashboard): Check[] {
  const service = SERVICE_FOR[file] ?? '.*';
  const checks: Check[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      if (target.datasource?.uid !== 'prometheus' || !target.expr) continue;
      const expr = substitute(target.expr, { service });
      checks.push({
        where: `${file} "${panel.title}" ${target.refId}`,
        run: async () => (await prometheusApi<{ result: unknown[] }>('prometheus', `${system.prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`)).result.length,
      });
    }
  }
  // The template variables' own queries: label_values(metric, label).
  for (const variable of dashboard.templating.list ?? []) {
    const query = (variable as { query?: unknown }).query;
    const match = typeof query === 'string' ? /^label_values\((.+),\s*(\w+)\)$/.exec(query) : null;
    if (!match) continue;
    const params = new URLSearchParams({ 'match[]': substitute(match[1]!, { service }), start: String(startedAt / 1000) });
    checks.push({
      where: `${file} variable ${variable.name}`,
      run: async () => (await prometheusApi<string[]>('prometheus', `${system.prometheus.url}/api/v1/label/${match[2]}/values?${params.toString()}`)).length,
    });
  }
  return checks;
}

function logsChecks(file: string, dashboard: Dashboard): Check[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => target.datasource?.uid === 'victorialogs' && target.expr)
      .map((target) => ({
        where: `${file} "${panel.title}" ${target.refId}`,
        run: async () => (await system.logs.query(`_time:15m ${substitute(target.expr!)}`)).length,
      })),
  );
}

function jaegerChecks(file: string, dashboard: Dashboard): Check[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => target.datasource?.uid === 'jaeger')
      .map((target) => {
        assert.equal(target.queryType, 'dependencyGraph', `${file} "${panel.title}": only the dependency graph is checked here`);
        return {
          where: `${file} "${panel.title}" ${target.refId}`,
          run: async () => {
            const params = new URLSearchParams({ endTs: String(Date.now()), lookback: String(3_600_000) });
            const response = await fetch(`${system.jaeger.url}/api/dependencies?${params.toString()}`);
            assert.equal(response.status, 200, await response.clone().text());
            return ((await response.json()) as { data?: unknown[] }).data?.length ?? 0;
          },
        };
      }),
  );
}

test('every panel and variable query parses and returns data from the real Prometheus, VictoriaLogs and Jaeger', async () => {
  const checks = [...committedDashboards()].flatMap(([file, dashboard]) => [...prometheusChecks(file, dashboard), ...logsChecks(file, dashboard), ...jaegerChecks(file, dashboard)]);
  assert.ok(checks.length > 50, `${checks.length} queries`);
  const isAbsent = (where: string): boolean => Object.keys(ABSENT).some((key) => where.startsWith(key));

  // A parse error fails at once; empty answers are retried while traffic, scrapes and rules catch up.
  let empty: string[] = [];
  const deadline = Date.now() + 180_000;
  do {
    empty = [];
    for (const check of checks) {
      if ((await check.run()) === 0 && !isAbsent(check.where)) empty.push(check.where);
    }
    if (empty.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  } while (Date.now() < deadline);
  assert.deepEqual(empty, [], 'queries without data (add them to ABSENT only with the reason they cannot have any)');

  // The listed ones still parse (run() above threw otherwise) and are really empty: keep ABSENT honest.
  for (const check of checks.filter((c) => isAbsent(c.where))) {
    const rows = await check.run();
    assert.equal(rows, 0, `${check.where} has data now: remove it from ABSENT`);
  }
});
