import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Koa from 'koa';
import { DrainableListener } from '../src/http/listener.js';

function get(port: number, agent: http.Agent): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
      })
      .on('error', reject);
  });
}

test('draining lets in-flight requests finish, closes their keep-alive connections and refuses new ones', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const inFlight = new Promise<void>((resolve) => (arrived = resolve));
  const app = new Koa();
  app.use(async (ctx) => {
    arrived();
    await gate;
    ctx.body = 'done';
  });
  const listener = new DrainableListener(app);
  const { port } = await listener.listen(0, '127.0.0.1');
  const agent = new http.Agent({ keepAlive: true });

  const pending = get(port, agent);
  await inFlight;
  assert.equal(listener.activeRequests, 1);
  listener.beginDrain();
  const drained = listener.drained(5000);
  await assert.rejects(get(port, new http.Agent()), /ECONNREFUSED/);

  release();
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal(response.connection, 'close');
  assert.equal(await drained, true);
  agent.destroy();
});

test('drained() gives up at the deadline', async () => {
  const app = new Koa();
  app.use(() => new Promise(() => undefined));
  const listener = new DrainableListener(app);
  const { port } = await listener.listen(0, '127.0.0.1');
  const request = get(port, new http.Agent()).catch(() => 'aborted');
  await new Promise((resolve) => setTimeout(resolve, 50));
  listener.beginDrain();
  assert.equal(await listener.drained(100), false);
  listener.closeAll();
  assert.equal(await request, 'aborted');
});
