import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpSink } from '../src/otlp-sink.js';

test('the OTLP sink answers every export with success, counts them, and its thread stops on close', async () => {
  const sink = await startOtlpSink();
  for (const signal of ['traces', 'logs']) {
    const response = await fetch(`${sink.url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(4096) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
  }
  assert.equal(sink.requests(), 2);
  await sink.close();
  await assert.rejects(fetch(`${sink.url}/v1/traces`, { method: 'POST', body: 'x' }));
});
