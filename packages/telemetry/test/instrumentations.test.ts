import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instrumentations } from '../src/instrumentations.js';

const AUTO = '@opentelemetry/auto-instrumentations-node';
const autoLoaded = (): boolean => Object.keys(require.cache).some((file) => file.includes(`${AUTO}/`));
const namesOf = (list: ReturnType<typeof instrumentations>): string[] => list.map((instrumentation) => instrumentation.instrumentationName).sort();

test('the services’ own instrumentations are built without loading the auto-instrumentations package; disabled ones are left out', () => {
  const built = instrumentations('http,undici,koa,mysql2,pino', 'koa');
  assert.deepEqual(namesOf(built), ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-mysql2', '@opentelemetry/instrumentation-pino', '@opentelemetry/instrumentation-undici']);
  assert.equal(autoLoaded(), false);
  for (const instrumentation of built) instrumentation.disable();
});

test('naming another instrumentation loads the auto-instrumentations package, which builds the named ones minus the disabled', () => {
  const previousDisabled = process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'];
  process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = 'koa';
  try {
    const built = instrumentations('http,koa,dns', 'koa');
    assert.deepEqual(namesOf(built), ['@opentelemetry/instrumentation-dns', '@opentelemetry/instrumentation-http']);
    assert.equal(autoLoaded(), true);
    for (const instrumentation of built) instrumentation.disable();
  } finally {
    if (previousDisabled === undefined) delete process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'];
    else process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = previousDisabled;
  }
});
