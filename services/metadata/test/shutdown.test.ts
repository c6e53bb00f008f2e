import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { startAuth, startMariaDb, startService, type MariaDb, type StartedAuth, type StartedService } from '@cinemetrics/testing';

let mariadb: MariaDb;
let auth: StartedAuth;
let service: StartedService;
let authorization = '';

before(async () => {
  // Each kept as soon as it runs, so `after` stops it even when the other failed to start.
  await Promise.all([startMariaDb().then((started) => (mariadb = started)), startAuth({ env: { MYSQL_URL: undefined } }).then((started) => (auth = started))]);
  service = await startService('metadata', { env: { MYSQL_URL: mariadb.url, SHUTDOWN_TIMEOUT_MS: '5000', ...auth.env } });
  authorization = (await auth.identities.adminHeaders())['authorization'] ?? '';
});

after(async () => {
  if (service?.running) await service.stop('SIGKILL');
  await auth?.service.stop();
  await mariadb?.dispose();
});

type Outcome = { kind: 'response'; status: number } | { kind: 'error'; code: string };

/** A PUT of a movie whose headers are on their way; its body goes when the caller ends the request. */
function startPut(port: number, id: string, headers: Record<string, string> = {}): { request: http.ClientRequest; body: string; outcome: Promise<Outcome> } {
  const body = JSON.stringify({ title: `Movie ${id}` });
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: `/metadata/${id}`,
    agent: false,
    headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
  });
  const outcome = new Promise<Outcome>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ kind: 'response', status: response.statusCode ?? 0 }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'error', code: error.code ?? error.message }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'error', code: error.code ?? error.message }));
  });
  return { request, body, outcome };
}

function putMovie(port: number, id: string): Promise<Outcome> {
  const { request, body, outcome } = startPut(port, id);
  request.end(body);
  return outcome;
}

/**
 * A PUT whose headers the server has taken (its `100 Continue` says the request is in flight there)
 * and whose body is sent only when `sendBody` is called.
 */
async function heldPut(port: number, id: string): Promise<{ sendBody: () => void; outcome: Promise<Outcome> }> {
  const { request, body, outcome } = startPut(port, id, { expect: '100-continue' });
  request.flushHeaders();
  const continued = once(request, 'continue').then(
    () => true,
    () => false,
  );
  if (!(await Promise.race([continued, outcome.then(() => false)]))) throw new Error(`no 100 Continue: ${JSON.stringify(await outcome)}`);
  return { sendBody: () => request.end(body), outcome };
}

test('SIGTERM under load: every accepted request is answered and stored, then exit 0', async () => {
  const acknowledged: string[] = [];
  const outcomes: Outcome[] = [];
  let stop = false;
  const worker = async (w: number) => {
    for (let n = 0; !stop; n += 1) {
      const id = `w${w}-n${n}`;
      const outcome = await putMovie(service.port, id);
      outcomes.push(outcome);
      if (outcome.kind === 'response' && outcome.status === 201) acknowledged.push(id);
      if (outcome.kind === 'error') return; // the listener is closed: this client is done
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  // Load first, however slowly a busy machine serves it; then the signal, with requests in flight.
  const loadedBy = Date.now() + 30_000;
  while (outcomes.length < 60 && Date.now() < loadedBy) await new Promise((resolve) => setTimeout(resolve, 20));
  // One request is surely in flight when the signal comes, its body still on the way.
  const held = await heldPut(service.port, 'held-upload');
  service.signal('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  held.sendBody();
  const heldOutcome = await held.outcome;
  outcomes.push(heldOutcome);
  if (heldOutcome.kind === 'response' && heldOutcome.status === 201) acknowledged.push('held-upload');
  const exit = await service.exited;
  stop = true;
  await Promise.all(workers);

  assert.deepEqual(exit, { code: 0, signal: null });
  const responses = outcomes.filter((o): o is Extract<Outcome, { kind: 'response' }> => o.kind === 'response');
  assert.ok(responses.length > 50, `load was applied (${responses.length} responses)`);
  assert.deepEqual([...new Set(responses.map((r) => r.status))], [201], 'no request failed while draining');

  const lines = service.jsonLines();
  const started = lines.find((line) => line['msg'] === 'shutdown started');
  assert.ok(started, 'shutdown was logged');
  assert.ok(Number(started['in_flight']) >= 1, 'requests were in flight when the signal came');
  assert.deepEqual(heldOutcome, { kind: 'response', status: 201 }, 'a request whose body came after the signal was still served');
  assert.equal(lines.find((line) => line['msg'] === 'shutdown complete')?.['drained'], true);
  const served = lines.filter((line) => line['msg'] === 'request completed' && line['http.method'] === 'PUT').length;
  assert.equal(served, responses.length, 'every request the server accepted reached its client');

  const rows = (await mariadb.query('SELECT id FROM metadata.movies')) as Array<{ id: string }>;
  const stored = new Set(rows.map((row) => row.id));
  const missing = acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(missing, [], 'every acknowledged write is in the database');
});
