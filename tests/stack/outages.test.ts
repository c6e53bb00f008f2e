/**
 * Failures the stack must show, and survive: a service killed under load pages through Alertmanager
 * and resolves when it is back; the collector going away costs the requests nothing and telemetry
 * resumes when it returns.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateRules, loadDefinitions, type AlertingRule } from '@cinemetrics/slo';
import { getJson, httpJson } from '@cinemetrics/testing';
import { alertPromiseMs, eventually, newTraceparent, PATIENT_MOVIE, startFullStack, type FullStack, type StackClock } from './support.js';

/** ServiceDown's `for: 2m` lasts 4 s here; its real duration is proven by the promtool rule tests. */
const CLOCK: StackClock = { interval: '2s', timeScale: 30 };

let system: FullStack;

before(async () => {
  // Rating and the collector are what fail here, never metadata.
  system = await startFullStack({ clock: CLOCK, serviceEnv: PATIENT_MOVIE });
  const put = await httpJson('PUT', `${system.services.metadata.url}/metadata/tt0000001`, { title: 'Heat', year: 1995, director: 'Michael Mann', actors: ['Al Pacino'] }, await system.identities.adminHeaders());
  assert.equal(put.status, 201);
  await httpJson('PUT', `${system.services.rating.url}/ratings/movie/tt0000001`, { value: 4 }, (await system.identities.user('alice')).headers);
});
after(async () => {
  await system?.stop();
});

interface Sample {
  status: number;
  degraded: string[];
  /** What a problem answer said, so a failure shows why. */
  detail?: string;
}

/** GET /movies/tt0000001 at `perSecond` for `seconds`, open-loop, as a user population would. */
async function load(perSecond: number, seconds: number): Promise<Sample[]> {
  const samples: Promise<Sample>[] = [];
  const started = performance.now();
  for (let index = 0; index < perSecond * seconds; index++) {
    const wait = started + (index * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    samples.push(
      (async () => {
        try {
          const response = await httpJson('GET', `${system.services.movie.url}/movies/tt0000001`);
          const body = response.body as { degraded?: string[]; detail?: string };
          return { status: response.status, degraded: body.degraded ?? [], ...(body.detail === undefined ? {} : { detail: body.detail }) };
        } catch (error) {
          return { status: 0, degraded: [], detail: String(error) };
        }
      })(),
    );
  }
  return Promise.all(samples);
}

function failures(samples: Sample[]): string {
  return JSON.stringify(samples.filter((sample) => sample.status !== 200));
}

interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: { state: string };
  /** When Prometheus evaluated the rule as firing (its evaluation time, not when the alert was delivered). */
  startsAt: string;
}

async function activeAlerts(): Promise<AlertmanagerAlert[]> {
  return getJson<AlertmanagerAlert[]>('alertmanager', `${system.stack.urls.alertmanager}/api/v2/alerts?active=true&silenced=false&inhibited=true`);
}

/** The `for` of the generated rule of `alert` (for `service`, when given), time-scaled as this file's Prometheus runs it. */
function scaledFor(alert: string, service?: string): string {
  const rule = generateRules(loadDefinitions(), { timeScale: CLOCK.timeScale })
    .flatMap((file) => file.groups.flatMap((group) => group.rules))
    .find((candidate): candidate is AlertingRule => 'alert' in candidate && candidate.alert === alert && (service === undefined || candidate.labels['service'] === service));
  assert.ok(rule?.for, `the generator writes ${alert}${service === undefined ? '' : ` for ${service}`}, with a for duration`);
  return rule.for;
}

const ratingDown = (alert: AlertmanagerAlert): boolean => alert.labels['alertname'] === 'ServiceDown' && alert.labels['service'] === 'rating';

test('rating killed under load: movie keeps answering, degraded; the rating page fires within the rule’s promise, reaches Alertmanager and resolves once rating is back', async () => {
  await system.services.rating.stop('SIGKILL');
  const killedAt = Date.now();
  const promiseMs = alertPromiseMs(CLOCK, scaledFor('ServiceDown', 'rating'));
  let underLoad: Sample[] = [];
  let paged = false;
  const traffic = (async () => {
    while (!paged) underLoad = underLoad.concat(await load(5, 5));
  })();
  try {
    await eventually(
      'the rating page in Alertmanager',
      async () => (await activeAlerts()).some(ratingDown),
      async () => JSON.stringify((await activeAlerts()).map((alert) => alert.labels)),
      promiseMs + 30_000,
    );
  } finally {
    paged = true;
    await traffic;
  }
  const page = (await activeAlerts()).find(ratingDown);
  assert.equal(page?.labels['severity'], 'page');
  // Measured to the evaluation that fired it: Prometheus evaluates on its schedule's timestamps, so a
  // machine busy with the rest of the suite delays the delivery and this test's polling, not the page.
  const firedAfterMs = Date.parse(page.startsAt) - killedAt;
  assert.ok(firedAfterMs <= promiseMs, `fired ${firedAfterMs} ms after the kill; the promise is ${promiseMs} ms`);
  assert.ok(underLoad.length > 0);
  assert.deepEqual([...new Set(underLoad.map((sample) => sample.status))], [200], `movie answered every request: ${failures(underLoad)}`);
  assert.ok(underLoad.every((sample) => sample.degraded.includes('rating')), 'every answer said rating was missing');

  await system.restartService('rating');
  await eventually('the rating page resolved', async () => !(await activeAlerts()).some(ratingDown), undefined, 120_000);
});

test('the Watchdog’s heartbeat reaches its receiver through the stack’s Prometheus and Alertmanager', async () => {
  const heartbeat = await system.webhook?.waitFor((notification) => notification.alerts.some((alert) => alert.labels['alertname'] === 'Watchdog'), 60_000);
  assert.equal(heartbeat?.receiver, 'heartbeat');
  assert.equal(heartbeat.alerts.find((alert) => alert.labels['alertname'] === 'Watchdog')?.labels['team'], 'observability');
});

test('the collector stopped under load: requests keep succeeding, the export queues stay bounded, the monitoring reports it, telemetry resumes when it returns', async () => {
  const before = await load(20, 5);
  await system.stack.stopBackend('otel-collector');
  const stoppedAt = Date.now();
  const during = await load(20, 10);
  assert.deepEqual([...new Set([...before, ...during].map((sample) => sample.status))], [200], failures([...before, ...during]));

  const metrics = await (await fetch(`${system.services.movie.adminUrl}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  assert.ok(value('otel_sdk_processor_span_queue_size') <= value('otel_sdk_processor_span_queue_capacity'), 'the span queue is bounded');
  assert.match(metrics, /otel_sdk_exporter_span_exported_total\{[^}]*error_type="[^"]+"[^}]*\} [1-9]/, 'failed exports are counted');

  const collectorDown = (alert: AlertmanagerAlert): boolean => alert.labels['alertname'] === 'MonitoringComponentDown' && alert.labels['service'] === 'otel-collector';
  const promiseMs = alertPromiseMs(CLOCK, scaledFor('MonitoringComponentDown'));
  await eventually(
    'MonitoringComponentDown for the collector in Alertmanager',
    async () => (await activeAlerts()).some(collectorDown),
    async () => JSON.stringify((await activeAlerts()).map((alert) => alert.labels)),
    Math.max(0, promiseMs - (Date.now() - stoppedAt)) + 30_000,
  );
  const ticket = (await activeAlerts()).find(collectorDown);
  assert.equal(ticket?.labels['severity'], 'ticket');
  assert.equal(ticket.labels['team'], 'observability');
  assert.ok(Date.parse(ticket.startsAt) - stoppedAt <= promiseMs, `fired ${Date.parse(ticket.startsAt) - stoppedAt} ms after the stop; the promise is ${promiseMs} ms`);

  await system.stack.startBackend('otel-collector');
  const { traceId, header } = newTraceparent();
  assert.equal((await httpJson('GET', `${system.services.movie.url}/movies/tt0000001`, undefined, { traceparent: header })).status, 200);
  await eventually('a new trace in Jaeger after the collector returned', async () => (await system.jaeger.trace(traceId)) !== undefined);
});
