import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '@cinemetrics/testing';
import type { AlertmanagerWebhook } from '@cinemetrics/stack';
import { startAlertPrinter } from '../src/stack/alert-printer.js';

let printer: AlertmanagerWebhook;
const printed: string[] = [];

before(async () => {
  printer = await startAlertPrinter(await freePort(), (line) => printed.push(line));
});
after(() => printer?.close());

function post(path: string, body: string): Promise<Response> {
  return fetch(new URL(path, printer.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

const alert = (status: string, labels: Record<string, string>, summary: string) => ({
  status,
  labels,
  annotations: { summary, description: 'd', runbook_url: 'https://github.com/cinemetrics/cinemetrics/blob/main/docs/runbooks/service-down.md' },
});

test("each alert of a page or ticket notification is one line: status, severity, alert, service, summary and the runbook's file", async () => {
  printed.length = 0;
  const notification = {
    version: '4',
    receiver: 'page',
    status: 'firing',
    alerts: [alert('firing', { alertname: 'ServiceDown', severity: 'page', service: 'rating' }, 'rating is down: Prometheus cannot scrape 127.0.0.1:8092')],
  };
  assert.equal((await post('/page', JSON.stringify(notification))).status, 200);
  assert.equal((await post('/page', JSON.stringify({ ...notification, status: 'resolved', alerts: [{ ...notification.alerts[0], status: 'resolved' }] }))).status, 200);
  assert.deepEqual(printed, [
    'FIRING page ServiceDown rating: rating is down: Prometheus cannot scrape 127.0.0.1:8092  (docs/runbooks/service-down.md)',
    'RESOLVED page ServiceDown rating: rating is down: Prometheus cannot scrape 127.0.0.1:8092  (docs/runbooks/service-down.md)',
  ]);
});

test('the heartbeat is printed the first time only', async () => {
  printed.length = 0;
  const heartbeat = JSON.stringify({ receiver: 'heartbeat', status: 'firing', alerts: [alert('firing', { alertname: 'Watchdog', severity: 'heartbeat', service: 'prometheus' }, 'always firing')] });
  for (let index = 0; index < 3; index++) assert.equal((await post('/heartbeat', heartbeat)).status, 200);
  assert.equal(printed.length, 1);
  assert.match(printed[0] ?? '', /^heartbeat: the Watchdog arrived/);
});

test('what is not a notification gets 400 and prints nothing', async () => {
  printed.length = 0;
  assert.equal((await post('/page', 'not json')).status, 400);
  assert.equal((await post('/page', JSON.stringify({ receiver: 'page', alerts: [{ labels: 'x' }] }))).status, 400);
  assert.equal((await fetch(new URL('/page', printer.url))).status, 400);
  assert.deepEqual(printed, []);
});
