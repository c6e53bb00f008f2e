import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import Koa from 'koa';
import { DEFAULT_LISTENER_TIMEOUTS, DrainableListener } from '../src/http/listener.js';

/**
 * What the listener timeouts do on this node version, with small values: the reasoning behind the
 * defaults in docs/inbound-protection.md rests on these behaviours.
 */
const TIMEOUTS = { headersTimeoutMs: 500, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 1_500, connectionsCheckingIntervalMs: 50 };

let listener: DrainableListener;
let port: number;

before(async () => {
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx) => {
    if (ctx.path === '/slow-handler') await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Read the whole body, as the body parser does; node ends a request that times out with an error.
    if (ctx.method === 'PUT') for await (const _chunk of ctx.req) void _chunk;
    ctx.body = 'ok';
  });
  listener = new DrainableListener(app, TIMEOUTS);
  ({ port } = await listener.listen(0, '127.0.0.1'));
});

after(() => {
  listener.beginDrain();
  listener.closeAll();
});

/** A raw connection: what the server sent, and when it closed (ms after connecting). */
async function connect() {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  let received = '';
  let onData: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    onData?.();
  });
  socket.on('error', () => {});
  const closedAfterMs = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
  return {
    socket,
    closedAfterMs,
    received: () => received,
    /** Resolves once `count` complete responses ("ok" bodies) have arrived. */
    async responses(count: number): Promise<void> {
      while ((received.match(/\r\n\r\nok/g) ?? []).length < count) await new Promise<void>((resolve) => (onData = resolve));
    },
  };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the listener applies the configured timeouts; the defaults are the documented ones', () => {
  assert.equal(listener.server.headersTimeout, 500);
  assert.equal(listener.server.requestTimeout, 1_000);
  assert.equal(listener.server.keepAliveTimeout, 1_500);
  assert.deepEqual(DEFAULT_LISTENER_TIMEOUTS, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, connectionsCheckingIntervalMs: 1_000 });
});

test('headers that never finish get 408 and a closed connection after the headers timeout', async () => {
  const client = await connect();
  client.socket.write('GET / HTTP/1.1\r\nHost: test\r\n'); // the blank line never comes
  const closedAfter = await client.closedAfterMs;
  assert.match(client.received(), /^HTTP\/1\.1 408 /);
  assert.ok(closedAfter >= 450 && closedAfter < 2_000, `closed after ${Math.round(closedAfter)} ms`);
});

test('a body that never finishes gets 408 after the request timeout', async () => {
  const client = await connect();
  client.socket.write('PUT / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
  const closedAfter = await client.closedAfterMs;
  assert.match(client.received(), /^HTTP\/1\.1 408 /);
  assert.ok(closedAfter >= 950 && closedAfter < 3_000, `closed after ${Math.round(closedAfter)} ms`);
});

test('idle keep-alive time counts towards neither request timeout, so they may be shorter than the keep-alive timeout', async () => {
  const client = await connect();
  client.socket.write(GET('/'));
  await client.responses(1);
  assert.match(client.received(), /Keep-Alive: timeout=1\r\n/, 'the keep-alive timeout is advertised (in whole seconds)');
  await sleep(1_200); // idle longer than both the headers (500) and the request (1000) timeout
  client.socket.write(GET('/'));
  await client.responses(2);
  assert.doesNotMatch(client.received(), / 408 /);
  client.socket.destroy();
});

test('an idle keep-alive connection is closed by the server after the keep-alive timeout', async () => {
  const client = await connect();
  client.socket.write(GET('/'));
  await client.responses(1);
  const closedAfter = await client.closedAfterMs;
  // node keeps the socket keepAliveTimeoutBuffer (1 s) past the advertised timeout, to avoid racing the client.
  assert.ok(closedAfter >= 1_400 && closedAfter < 4_000, `closed after ${Math.round(closedAfter)} ms`);
});

test('the request timeout does not cut a slow handler: it bounds receiving the request, not answering it', async () => {
  const client = await connect();
  client.socket.write(GET('/slow-handler')); // 1.5 s handler, 1 s request timeout
  await client.responses(1);
  assert.match(client.received(), /^HTTP\/1\.1 200 /);
  client.socket.destroy();
});
