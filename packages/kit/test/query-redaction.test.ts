import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { replies, startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';
import { DownstreamRegistry } from '../src/client/registry.js';
import { REDACTED_QUERY_PARAMETERS, redactQuery } from '@cinemetrics/telemetry';
import { capturingLogger } from './support.js';

test('credential query values are replaced, everything else is kept as written', () => {
  assert.equal(redactQuery('/metadata/tt1'), '/metadata/tt1');
  assert.equal(redactQuery('/metadata?limit=5&cursor=abc'), '/metadata?limit=5&cursor=abc');
  assert.equal(
    redactQuery('/x?token=t1&access_token=t2&API_KEY=t3&api-key=t4&apiKey=t5&limit=5&flag&client%5Fsecret=t6#frag'),
    '/x?token=REDACTED&access_token=REDACTED&API_KEY=REDACTED&api-key=REDACTED&apiKey=REDACTED&limit=5&flag&client%5Fsecret=REDACTED#frag',
  );
  assert.equal(redactQuery('http://rating:8082/ratings?password=p&sig=s'), 'http://rating:8082/ratings?password=REDACTED&sig=REDACTED');
  assert.equal(redactQuery('/x?%E0%A4%A=1&key=k'), '/x?%E0%A4%A=1&key=REDACTED', 'a malformed escape is left alone');
  for (const name of ['sig', 'X-Amz-Signature', 'token', 'TOKEN', 'refresh_token', 'refresh-token', 'code']) assert.ok(REDACTED_QUERY_PARAMETERS.includes(name), name);
});

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
  server.fallback = replies.status(200, { ok: true });
});
after(() => server.close());

test('a downstream call with a credential in its query: the log line shows it redacted, the downstream receives it', async () => {
  const { logger, lines } = capturingLogger();
  const registry = new DownstreamRegistry({ logger });
  try {
    const downstream = registry.register('peer', { baseUrl: server.url });
    const response = await downstream.get('/things', { query: { api_key: 'query-secret-1', limit: 5 } });
    assert.equal(response.status, 200);
    assert.equal(server.seen.at(-1)?.url, '/things?api_key=query-secret-1&limit=5');
    const line = lines.find((entry) => entry['msg'] === 'downstream call completed');
    assert.equal(line?.['url.path'], '/things?api_key=REDACTED&limit=5');
    assert.doesNotMatch(JSON.stringify(lines), /query-secret-1/);
  } finally {
    await registry.close();
  }
});
