import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Koa from 'koa';
import { bodyParserOnFirstUse } from '../src/http/body-parser.js';

const loaded = (): boolean => Object.keys(require.cache).some((file) => file.includes('@koa/bodyparser'));

test('the body parser is loaded by the first request it parses; other methods pass through untouched', async () => {
  assert.equal(loaded(), false, 'not loaded by importing the kit module');
  const app = new Koa();
  app.use(bodyParserOnFirstUse({ enableTypes: ['json'], jsonLimit: '1kb' }));
  app.use((ctx) => {
    ctx.body = { body: ctx.request.body === undefined ? 'none' : ctx.request.body };
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const get = await fetch(url);
    assert.deepEqual(await get.json(), { body: 'none' });
    assert.equal(loaded(), false, 'a GET does not load it');

    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Heat' }) });
    assert.deepEqual(await post.json(), { body: { title: 'Heat' } });
    assert.equal(loaded(), true);

    const tooLarge = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x'.repeat(2048) }) });
    assert.equal(tooLarge.status, 413, 'its options apply');
  } finally {
    server.close();
  }
});
