import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { startPrometheus, waitUntil, type PrometheusServer } from '../src/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** An OpenMetrics exposition with a histogram whose first bucket carries an exemplar. */
const EXPOSITION = [
  '# TYPE cinemetrics_request_duration_seconds histogram',
  '# HELP cinemetrics_request_duration_seconds Time taken to answer a request.',
  '# UNIT cinemetrics_request_duration_seconds seconds',
  `cinemetrics_request_duration_seconds_bucket{route="/movies/:id",le="0.1"} 1 # {trace_id="${TRACE_ID}"} 0.042`,
  'cinemetrics_request_duration_seconds_bucket{route="/movies/:id",le="1.0"} 2',
  'cinemetrics_request_duration_seconds_bucket{route="/movies/:id",le="+Inf"} 3',
  'cinemetrics_request_duration_seconds_count{route="/movies/:id"} 3',
  'cinemetrics_request_duration_seconds_sum{route="/movies/:id"} 2.542',
  '# TYPE cinemetrics_movies_cached gauge',
  '# HELP cinemetrics_movies_cached Movies in the cache.',
  'cinemetrics_movies_cached 17',
  '# EOF',
  '',
].join('\n');

const acceptHeaders: string[] = [];
let metricsServer: Server;
let metricsTarget: string;
let secondServer: Server;
let secondTarget: string;
let prometheus: PrometheusServer;

async function serveMetrics(body: string): Promise<[Server, string]> {
  const server = createServer((request, response) => {
    acceptHeaders.push(request.headers.accept ?? '');
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
    response.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return [server, `127.0.0.1:${address.port}`];
}

before(async () => {
  [metricsServer, metricsTarget] = await serveMetrics(EXPOSITION);
  [secondServer, secondTarget] = await serveMetrics('# TYPE cinemetrics_up gauge\ncinemetrics_up 1\n# EOF\n');
  prometheus = await startPrometheus({
    scrapeConfigs: [{ job_name: 'movie', static_configs: [{ targets: [metricsTarget] }] }],
  });
});

after(async () => {
  await prometheus?.dispose();
  metricsServer?.close();
  secondServer?.close();
});

test('scrapes an OpenMetrics target: series and values come back through the HTTP API', async () => {
  assert.match(prometheus.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const [target] = await prometheus.waitForTargetsUp(1);
  assert.equal(target?.labels['job'], 'movie');
  assert.equal(target?.scrapeUrl, `http://${metricsTarget}/metrics`);
  assert.ok(acceptHeaders.some((accept) => accept.startsWith('application/openmetrics-text')), acceptHeaders[0]);

  const counts = await waitUntil(
    async () => {
      const samples = await prometheus.query('cinemetrics_request_duration_seconds_count');
      return samples.length > 0 ? samples : undefined;
    },
    { timeoutMs: 15_000, what: 'the first scrape to be queryable' },
  );
  assert.deepEqual(
    counts.map((sample) => [sample.metric, sample.value]),
    [
      [
        { __name__: 'cinemetrics_request_duration_seconds_count', instance: metricsTarget, job: 'movie', route: '/movies/:id' },
        3,
      ],
    ],
  );
  assert.ok(Math.abs(counts[0]!.timestamp - Date.now() / 1000) < 60);
  assert.deepEqual(
    (await prometheus.query('sum(cinemetrics_movies_cached) * 2')).map((sample) => [sample.metric, sample.value]),
    [[{}, 34]],
  );
  assert.deepEqual((await prometheus.query('scalar(cinemetrics_movies_cached)')).map((sample) => sample.value), [17]);

  const buckets = await prometheus.series(['cinemetrics_request_duration_seconds_bucket']);
  assert.deepEqual(buckets.map((labels) => labels['le']).sort(), ['+Inf', '0.1', '1.0']);

  const now = Date.now() / 1000;
  const range = await prometheus.queryRange('cinemetrics_movies_cached', now - 30, now, 1);
  assert.equal(range.length, 1);
  assert.ok(range[0]!.values.length >= 1);
  assert.ok(range[0]!.values.every((point) => point.value === 17));
});

test('stores the histogram exemplar and returns it from queryExemplars', async () => {
  const series = await waitUntil(
    async () => {
      const now = Date.now() / 1000;
      const found = await prometheus.queryExemplars('cinemetrics_request_duration_seconds_bucket', now - 300, now + 60);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 15_000, what: 'an exemplar' },
  );
  assert.equal(series.length, 1);
  assert.deepEqual(series[0]?.seriesLabels, {
    __name__: 'cinemetrics_request_duration_seconds_bucket',
    instance: metricsTarget,
    job: 'movie',
    le: '0.1',
    route: '/movies/:id',
  });
  const exemplar = series[0]?.exemplars[0];
  assert.deepEqual(exemplar?.labels, { trace_id: TRACE_ID });
  assert.equal(exemplar?.value, 0.042);
  assert.ok(Math.abs(exemplar.timestamp - Date.now() / 1000) < 60, 'an exemplar without timestamp gets the scrape time');
});

test('reload() applies new targets and rule groups', async () => {
  await prometheus.reload({
    targets: [secondTarget],
    ruleGroups: [
      {
        name: 'recording',
        rules: [{ record: 'cinemetrics:movies_cached:doubled', expr: 'cinemetrics_movies_cached * 2' }],
      },
    ],
  });
  const up = await prometheus.waitForTargetsUp(2);
  assert.deepEqual(up.map((target) => target.labels['job']).sort(), ['movie', 'targets']);
  const [group] = await prometheus.rules();
  assert.equal(group?.name, 'recording');
  assert.equal(group?.rules[0]?.type, 'recording');
  const doubled = await waitUntil(
    async () => {
      const samples = await prometheus.query('cinemetrics:movies_cached:doubled');
      return samples.length > 0 ? samples : undefined;
    },
    { timeoutMs: 15_000, what: 'the recording rule to produce a sample' },
  );
  assert.equal(doubled[0]?.value, 34);

  await assert.rejects(
    prometheus.reload({ ruleGroups: [{ name: 'broken', rules: [{ record: 'x', expr: 'sum(' }] }] }),
    /prometheus: reload failed with 500: failed to reload config.*\n.*level=error.*parse error/is,
  );
  assert.equal(prometheus.running, true, 'a failed reload keeps the previous configuration running');
});

test('a bad configuration fails startup with Prometheus\' own error', async () => {
  await assert.rejects(
    startPrometheus({ scrapeConfigs: [{ job_name: 'broken', no_such_field: true }] }),
    /prometheus exited with code \d+ before http:\/\/127\.0\.0\.1:\d+\/-\/ready answered 200\..*no_such_field/s,
  );
});

test('a missing binary is reported with the build command', async () => {
  await assert.rejects(
    startPrometheus({ binary: '/nonexistent/prometheus' }),
    /\/nonexistent\/prometheus does not exist or is not executable\. Build the stack with: npm run stack:build/,
  );
  await assert.rejects(startPrometheus({ binary: 'no-such-prometheus' }), /no-such-prometheus not found in PATH.*npm run stack:build/);
});

test('stop() and dispose() end the process and remove the temporary directory', async () => {
  const dir = prometheus.dir;
  assert.ok(existsSync(prometheus.configFile));
  await prometheus.stop();
  assert.equal(prometheus.running, false);
  await assert.rejects(prometheus.query('up'), /not running/);
  await prometheus.dispose();
  assert.equal(existsSync(dir), false);
  await prometheus.dispose();
});
