import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freePort,
  httpJson,
  serviceMain,
  startProcess,
  startAuth,
  startService,
  TELEMETRY_PRELOAD,
  type HttpResponse,
  type StartedAuth,
  type StartedService,
} from '@cinemetrics/testing';

/** Fault injection through a real metadata process: the admin API, the FAULTS variable, and what clients see. */

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const INJECTED = 'https://cinemetrics.dev/problems/injected-fault';

let identity: StartedAuth;
let metadata: StartedService;
/** A metadata administrator's token: public writes need one. */
let writer: Record<string, string>;

before(async () => {
  identity = await startAuth();
  metadata = await startService('metadata', { env: { ADMIN_TOKEN, ...identity.env } });
  writer = await identity.identities.adminHeaders();
  const seeded = await httpJson('PUT', `${metadata.url}/metadata/tt0113277`, { title: 'Heat', year: 1995 }, writer);
  assert.equal(seeded.status, 201);
});

after(async () => {
  await Promise.all([metadata?.stop(), identity?.service.stop()]);
});

const faultsUrl = () => `${metadata.adminUrl}/admin/faults`;

async function timed(url: string): Promise<{ status: number; ms: number; response: HttpResponse }> {
  const started = performance.now();
  const response = await httpJson('GET', url);
  return { status: response.status, ms: performance.now() - started, response };
}

function seriesValue(exposition: string, metric: string, labels: string[]): number {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${metric}{`) && labels.every((label) => candidate.includes(label)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the fault endpoints need the admin token', async () => {
  const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: ADMIN_TOKEN }];
  for (const headers of refused) {
    assert.equal((await httpJson('GET', faultsUrl(), undefined, headers)).status, 401);
    assert.equal((await httpJson('PUT', faultsUrl(), { rules: [{ route: '*', errorRate: 1 }] }, headers)).status, 401);
    assert.equal((await httpJson('DELETE', faultsUrl(), undefined, headers)).status, 401);
  }
  assert.equal((await httpJson('GET', `${metadata.url}/metadata/tt0113277`)).status, 200, 'the refused PUT changed nothing');
  const rules = await httpJson('GET', faultsUrl(), undefined, auth);
  assert.equal(rules.status, 200);
  assert.deepEqual(rules.body, { rules: [] });
});

test('bad rules get a 400 problem naming the field', async () => {
  const tooBig = await httpJson('PUT', faultsUrl(), { rules: [{ route: '*', errorRate: 1.5 }] }, auth);
  assert.equal(tooBig.status, 400);
  assert.equal(tooBig.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual((tooBig.body as { errors: Array<{ field: string; rule: string }> }).errors.map((e) => [e.field, e.rule]), [['body.rules[0].errorRate', 'too_big']]);
  const unknown = await httpJson('PUT', faultsUrl(), { rules: [{ route: '/movies/{id}', errorRate: 1 }] }, auth);
  assert.equal(unknown.status, 400);
  assert.equal((unknown.body as { errors: Array<{ field: string }> }).errors[0]?.field, 'body.rules[0].route');
  assert.match(JSON.stringify(unknown.body), /\/metadata\/:id/, 'the known routes are listed');
  assert.deepEqual((await httpJson('GET', faultsUrl(), undefined, auth)).body, { rules: [] }, 'nothing was applied');
});

test('errorRate 1 on /metadata/:id answers 500 problems there only, counted like real errors', async () => {
  const metricsBefore = await (await fetch(`${metadata.adminUrl}/metrics`)).text();
  const put = await httpJson('PUT', faultsUrl(), { rules: [{ route: '/metadata/:id', errorRate: 1 }] }, auth);
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { rules: [{ route: '/metadata/:id', errorRate: 1 }] });
  assert.deepEqual((await httpJson('GET', faultsUrl(), undefined, auth)).body, put.body);

  for (let i = 0; i < 5; i += 1) {
    const failed = await httpJson('GET', `${metadata.url}/metadata/tt0113277`);
    assert.equal(failed.status, 500);
    assert.equal(failed.headers.get('content-type'), 'application/problem+json');
    assert.equal((failed.body as { type: string }).type, INJECTED);
  }
  assert.equal((await httpJson('PUT', `${metadata.url}/metadata/tt0113277`, { title: 'Heat', year: 1995 }, writer)).status, 500, 'every method of the route');
  const list = await httpJson('GET', `${metadata.url}/metadata`);
  assert.equal(list.status, 200, 'the list route is untouched');
  assert.equal((await httpJson('GET', `${metadata.url}/.well-known/health`)).status, 200, 'health is untouched');
  assert.equal((await httpJson('GET', `${metadata.url}/openapi.json`)).status, 200);
  assert.equal((await httpJson('GET', `${metadata.adminUrl}/.well-known/alive`)).status, 200);

  const metrics = await (await fetch(`${metadata.adminUrl}/metrics`)).text();
  const errors = (text: string) =>
    seriesValue(text, 'http_server_request_duration_seconds_count', ['http_route="/metadata/:id"', 'http_response_status_code="500"', 'http_request_method="GET"']);
  assert.equal(errors(metrics) - errors(metricsBefore), 5, 'the server metrics count the injected 500s');
  assert.equal(seriesValue(metrics, 'fault_injections_total', ['fault="error"']) - seriesValue(metricsBefore, 'fault_injections_total', ['fault="error"']), 6);
});

test('latency fixedMs delays the route; DELETE restores normal service', async () => {
  const put = await httpJson('PUT', faultsUrl(), { rules: [{ route: '/metadata', method: 'GET', latency: { fixedMs: 400 } }] }, auth);
  assert.equal(put.status, 200);
  const slow = await timed(`${metadata.url}/metadata`);
  assert.equal(slow.status, 200);
  assert.ok(slow.ms >= 390, `delayed: ${slow.ms} ms`);
  const fast = await timed(`${metadata.url}/metadata/tt0113277`);
  assert.equal(fast.status, 200, 'the previous rules were replaced');
  assert.ok(fast.ms < 200, `other route: ${fast.ms} ms`);

  const deleted = await httpJson('DELETE', faultsUrl(), undefined, auth);
  assert.equal(deleted.status, 204);
  assert.deepEqual((await httpJson('GET', faultsUrl(), undefined, auth)).body, { rules: [] });
  const restored = await timed(`${metadata.url}/metadata`);
  assert.equal(restored.status, 200);
  assert.ok(restored.ms < 200, `restored: ${restored.ms} ms`);
});

test('FAULTS at start-up applies the rules from the first request', async () => {
  const faulty = await startService('metadata', {
    env: { ADMIN_TOKEN, FAULTS: JSON.stringify({ rules: [{ route: '/metadata/:id', errorRate: 1 }] }) },
  });
  try {
    const failed = await httpJson('GET', `${faulty.url}/metadata/anything`);
    assert.equal(failed.status, 500);
    assert.equal((failed.body as { type: string }).type, INJECTED);
    assert.equal((await httpJson('GET', `${faulty.url}/metadata`)).status, 200);
    assert.deepEqual((await httpJson('GET', `${faulty.adminUrl}/admin/faults`, undefined, auth)).body, {
      rules: [{ route: '/metadata/:id', errorRate: 1 }],
    });
  } finally {
    assert.equal((await faulty.stop()).code, 0);
  }
  // Log lines are buffered; they are all out once the process has exited.
  const loaded = faulty.jsonLines().find((line) => line['msg'] === 'fault rules changed');
  assert.equal(loaded?.['source'], 'environment');
  assert.deepEqual(loaded?.['rules'], [{ route: '/metadata/:id', errorRate: 1 }]);
});

test('a bad FAULTS stops start-up with exit code 2, naming FAULTS', async () => {
  for (const [faults, expected] of [
    ['{"rules":[{"route":"*","errorRate":7}]}', /FAULTS\.rules\.0\.errorRate/],
    ['errorRate=1', /FAULTS: must be JSON/],
    ['{"rules":[{"route":"/nope","hang":true}]}', /FAULTS\.rules\.0\.route: is not a route of this service/],
  ] as const) {
    const started = await startProcess({
      name: 'metadata-bad-faults',
      args: ['--require', TELEMETRY_PRELOAD, serviceMain('metadata')],
      env: { FAULTS: faults, PORT: String(await freePort()), ADMIN_PORT: String(await freePort()) },
    });
    const status = await started.exited;
    assert.equal(status.code, 2, started.lines().join('\n'));
    assert.match(started.lines().join('\n'), expected);
  }
});

test('every change is logged once, with a constant message and the rules in fields', async () => {
  assert.equal((await metadata.stop()).code, 0);
  const changes = metadata.jsonLines().filter((line) => line['msg'] === 'fault rules changed');
  assert.deepEqual(
    changes.map((line) => [line['source'], line['component'], line['rules']]),
    [
      ['admin', 'faults', [{ route: '/metadata/:id', errorRate: 1 }]],
      ['admin', 'faults', [{ route: '/metadata', method: 'GET', latency: { fixedMs: 400 } }]],
      ['admin', 'faults', []],
    ],
  );
});
