import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, startOtlpReceiver, startService, waitUntil, type StartedService } from '@cinemetrics/testing';
import { otlpEnv } from '../support/stack.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

const scrape = async (service: StartedService): Promise<string> => (await fetch(`${service.adminUrl}/metrics`)).text();

/** The value of the first sample of `metric` whose labels match `labels` (a regex fragment), or undefined. */
function sampleValue(exposition: string, metric: string, labels = ''): number | undefined {
  const match = new RegExp(`^${metric}\\{[^}]*${labels}[^}]*\\} (\\d+)`, 'm').exec(exposition);
  return match ? Number(match[1]) : undefined;
}

const sdkLines = (exposition: string, prefix = 'otel_sdk') => exposition.split('\n').filter((line) => line.startsWith(prefix)).join('\n');

function seriesOf(exposition: string, metric: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `));
}

test('2,000 distinct ids and unknown paths add no metric series', async () => {
  const metadata = await startService('metadata', { env: { OTEL_SDK_DISABLED: 'true' } });
  try {
    const metrics = () => scrape(metadata);
    const hit = async (from: number, to: number) => {
      const workers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = from + w; i < to; i += 16) {
          const path = i % 10 === 0 ? `/no/such/path/${i}` : `/metadata/id-${i}`;
          const response = await fetch(`${metadata.url}${path}`);
          await response.arrayBuffer();
        }
      });
      await Promise.all(workers);
    };
    await hit(0, 100);
    const before = await metrics();
    await hit(100, 2_000);
    const after = await metrics();
    const metric = 'http_server_request_duration_seconds_bucket';
    assert.equal(seriesOf(after, metric).length, seriesOf(before, metric).length, 'no new series after 1,900 more distinct ids');
    const routes = new Set(seriesOf(after, metric).map((line) => /http_route="([^"]*)"/.exec(line)?.[1]));
    assert.deepEqual([...routes].sort(), ['/.well-known/health', '/metadata/:id', 'unmatched']);
    assert.doesNotMatch(after, /id-\d+|no\/such/);
    const count = seriesOf(after, 'http_server_request_duration_seconds_count').find((line) => line.includes('"/metadata/:id"') && line.includes('"404"'));
    assert.match(count ?? '', / 1800$/, 'every request was counted');
  } finally {
    await metadata.stop();
  }
});

test('/metrics speaks Prometheus text by default and OpenMetrics with exemplars when asked', async () => {
  const otlp = await startOtlpReceiver();
  const metadata = await startService('metadata', { env: otlpEnv(otlp) });
  try {
    await fetch(`${metadata.url}/metadata/x`).then((r) => r.arrayBuffer());
    const text = await fetch(`${metadata.adminUrl}/metrics`);
    assert.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await text.text();
    assert.match(body, /^http_server_request_duration_seconds_bucket\{le="0.1",http_request_method="GET",http_route="\/metadata\/:id",http_response_status_code="404"\} 1$/m);
    assert.match(body, /^process_cpu_seconds_total \d/m);
    assert.doesNotMatch(body, /trace_id/);

    const open = await fetch(`${metadata.adminUrl}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(open.headers.get('content-type') ?? '', /^application\/openmetrics-text; version=1.0.0/);
    const openBody = await open.text();
    assert.match(openBody, /# EOF\n$/);
    const exemplar = /http_route="\/metadata\/:id".* # \{trace_id="([0-9a-f]{32})",span_id="[0-9a-f]{16}"\}/.exec(openBody);
    assert.ok(exemplar, 'an exemplar with the trace id');
    assert.match(openBody, /^process_cpu_seconds_total \d/m, 'counters keep their _total suffix');
    const span = await otlp.waitFor(() => otlp.spans().find((s) => s.traceId === exemplar[1] && s.kind === 'SERVER'));
    assert.equal(span.attributes['http.route'], '/metadata/:id');

    const again = await scrape(metadata);
    assert.match(again, /^process_cpu_seconds_total \d/m, 'text output is unchanged after an OpenMetrics scrape');
  } finally {
    await metadata.stop();
    await otlp.close();
  }
});

test('a request answered just before SIGTERM is exported at shutdown', async () => {
  const otlp = await startOtlpReceiver();
  // A batch delay far longer than the test: only the shutdown flush can deliver the span.
  const metadata = await startService('metadata', { env: otlpEnv(otlp, { OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BLRP_SCHEDULE_DELAY: '600000' }) });
  try {
    const response = await fetch(`${metadata.url}/metadata/last-one`);
    await response.arrayBuffer();
    assert.equal(otlp.spans().length, 0);
    assert.deepEqual(await metadata.stop('SIGTERM'), { code: 0, signal: null });
    const span = otlp.spans().find((s) => s.kind === 'SERVER' && s.attributes['url.path'] === '/metadata/last-one');
    assert.ok(span, 'the last request\'s server span arrived');
    assert.ok(otlp.logs().some((log) => log.traceId === span.traceId), 'and its log records');
  } finally {
    await otlp.close();
  }
});

test('a hung collector neither slows nor breaks requests; dropped spans and log records are counted', async () => {
  const otlp = await startOtlpReceiver();
  otlp.setBehaviour('hang');
  const metadata = await startService('metadata', {
    env: otlpEnv(otlp, { OTEL_BSP_MAX_QUEUE_SIZE: '64', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16', OTEL_EXPORTER_OTLP_TIMEOUT: '60000', OTEL_BLRP_MAX_QUEUE_SIZE: '64' }),
  });
  try {
    for (let i = 0; i < 400; i += 1) {
      const response = await fetch(`${metadata.url}/metadata/m-${i}`);
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    }
    assert.ok(otlp.requests().some((request) => request.status === undefined), 'the collector is still hanging on an export');
    const metrics = await scrape(metadata);
    const dropped = sampleValue(metrics, 'otel_sdk_processor_span_processed_total', 'error_type="queue_full"');
    assert.ok(dropped !== undefined && dropped > 0, `dropped spans are counted:\n${sdkLines(metrics)}`);
    const queued = sampleValue(metrics, 'otel_sdk_processor_span_queue_size');
    assert.ok(queued !== undefined && queued <= 64, 'the queue stays within its capacity');
    assert.match(metrics, /^otel_sdk_exporter_span_inflight\{[^}]*\} [1-9]/m, 'the export the collector hangs on shows as in flight');
    // Log records are exported by the logger's worker thread; its counts reach /metrics within a second or so.
    const logsDropped = await waitUntil(
      async () => {
        const count = sampleValue(await scrape(metadata), 'otel_sdk_processor_log_processed_total', 'error_type="queue_full"');
        return count !== undefined && count > 0 ? count : undefined;
      },
      { timeoutMs: 10_000, what: 'dropped log records counted in /metrics' },
    );
    assert.ok(logsDropped > 0);
  } finally {
    await metadata.stop('SIGKILL');
    await otlp.close();
  }
});

test('a collector that refuses exports shows as failed span and log record exports (the input of TelemetryExportFailing)', async () => {
  const otlp = await startOtlpReceiver();
  otlp.setBehaviour('fail503');
  // A short export timeout ends the exporters' retries of the 503s quickly.
  const metadata = await startService('metadata', { env: otlpEnv(otlp, { OTEL_EXPORTER_OTLP_TIMEOUT: '1000' }) });
  try {
    for (let i = 0; i < 20; i += 1) await (await fetch(`${metadata.url}/metadata/f-${i}`)).arrayBuffer();
    const failed = (text: string, signal: 'span' | 'log') => sampleValue(text, `otel_sdk_exporter_${signal}_exported_total`, 'error_type="[^"]+"') ?? 0;
    const metrics = await waitUntil(
      async () => {
        const text = await scrape(metadata);
        return failed(text, 'span') > 0 && failed(text, 'log') > 0 ? text : undefined;
      },
      {
        timeoutMs: 20_000,
        what: 'failed span and log record exports in /metrics',
        describe: async () => sdkLines(await scrape(metadata), 'otel_sdk_exporter'),
      },
    );
    assert.ok(failed(metrics, 'span') > 0 && failed(metrics, 'log') > 0);
  } finally {
    await metadata.stop('SIGKILL');
    await otlp.close();
  }
});

test('log level changes at runtime on the admin port, with the admin token', async () => {
  const metadata = await startService('metadata', { env: { ADMIN_TOKEN, OTEL_SDK_DISABLED: 'true' } });
  try {
    const url = `${metadata.adminUrl}/admin/log-level`;
    assert.equal((await httpJson('PUT', url, { level: 'debug' })).status, 401);
    assert.equal((await httpJson('PUT', url, { level: 'debug' }, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    const bad = await httpJson('PUT', url, { level: 'loud' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { errors: Array<{ field: string }> }).errors[0]?.field, 'body.level');
    const warn = await httpJson('PUT', url, { level: 'warn' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.deepEqual(warn.body, { level: 'warn' });
    await fetch(`${metadata.url}/metadata/quiet`).then((r) => r.arrayBuffer());
    // An info line for the request, were it written, would be on stdout well within this.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const quietLines = metadata.jsonLines().filter((line) => line['msg'] === 'request completed' && line['url.path'] === '/metadata/quiet');
    assert.deepEqual(quietLines, [], 'info lines are no longer written');
    assert.deepEqual((await httpJson('GET', url, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` })).body, { level: 'warn' });
    assert.ok(!metadata.lines().some((line) => line.includes(ADMIN_TOKEN) || line.includes('wrong-token')), 'no token reaches the logs');
  } finally {
    await metadata.stop();
  }
});
