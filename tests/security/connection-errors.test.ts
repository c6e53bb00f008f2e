import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startAuth, startService, type StartedAuth, type StartedService } from '@cinemetrics/testing';

/**
 * Clients that are slow, go idle or go away are normal traffic: a 408 problem document where one can
 * still be written, a debug line with the error code, and nothing at warn or error.
 */

let service: StartedService;
let auth: StartedAuth;
/** An administrator's `Authorization` header line: the write is allowed, only its body is missing. */
let authorization = '';

before(async () => {
  auth = await startAuth({ env: { MYSQL_URL: undefined, OTEL_SDK_DISABLED: 'true' } });
  authorization = `Authorization: ${(await auth.identities.adminHeaders())['authorization'] ?? ''}\r\n`;
  service = await startService('metadata', {
    env: {
      ...auth.env,
      OTEL_SDK_DISABLED: 'true',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '1000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    },
  });
});

after(async () => {
  await service?.stop();
  await auth?.service.stop();
});

/** Writes `bytes`, then waits (at most 10 s) for the server to close; resolves with what it sent. */
function sendAndWaitForClose(bytes: string, options: { reset?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(service.port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.reset) setTimeout(() => socket.resetAndDestroy(), 100);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

const linesAtOrAbove = (levels: string[]) => service.jsonLines().filter((line) => levels.includes(String(line['level'])));

test('a body that never arrives in full: 408 problem+json, a debug line with the code, nothing at warn or error', async () => {
  const raw = await sendAndWaitForClose(`PUT /metadata/tt1 HTTP/1.1\r\nHost: test\r\n${authorization}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":`);
  assert.match(raw, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(raw, /\r\nContent-Type: application\/problem\+json\r\n/);
  assert.match(raw, /"type":"https:\/\/cinemetrics\.dev\/problems\/request-timeout"/);
  // The line may reach stdout a moment after the connection closed.
  await service.waitForLine((_line, json) => json?.['msg'] === 'connection ended before a request was complete', 5_000);
  const debug = service.jsonLines().find((line) => line['msg'] === 'connection ended before a request was complete');
  assert.equal(debug?.['level'], 'debug');
  assert.equal(debug?.['error.code'], 'ERR_HTTP_REQUEST_TIMEOUT');
});

test('headers that never finish, an idle keep-alive connection and a client reset: nothing at warn or error', async () => {
  const slowHeaders = await sendAndWaitForClose('GET /metadata HTTP/1.1\r\nHost: test\r\n');
  assert.match(slowHeaders, /^HTTP\/1\.1 408 /);
  const idle = await sendAndWaitForClose('GET /metadata HTTP/1.1\r\nHost: test\r\n\r\n');
  assert.match(idle, /^HTTP\/1\.1 200 /, 'answered, then closed by the keep-alive timeout');
  await sendAndWaitForClose(`PUT /metadata/tt1 HTTP/1.1\r\nHost: test\r\n${authorization}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"t`, { reset: true });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(
    linesAtOrAbove(['warn', 'error', 'fatal']).filter((line) => line['msg'] !== 'MYSQL_URL is not set: using the in-memory store; data is lost when the process stops'),
    [],
  );
});
