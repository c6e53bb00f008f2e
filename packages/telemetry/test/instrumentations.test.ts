import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { instrumentations } from '../src/instrumentations.js';

const AUTO = '@opentelemetry/auto-instrumentations-node';
const autoLoaded = (): boolean => Object.keys(require.cache).some((file) => file.includes(`${AUTO}/`));
const namesOf = (list: Instrumentation[]): string[] => list.map((instrumentation) => instrumentation.instrumentationName).sort();

test('the services’ own instrumentations are built without loading the auto-instrumentations package; disabled ones are left out; mysql2 means the kit’s query spans', () => {
  const { instrumentations: built, databaseSpans } = instrumentations('http,undici,koa,mysql2,pino', 'koa');
  assert.deepEqual(namesOf(built), ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-pino', '@opentelemetry/instrumentation-undici']);
  assert.equal(databaseSpans, true);
  assert.equal(autoLoaded(), false);
  for (const instrumentation of built) instrumentation.disable();
  assert.equal(instrumentations('http,undici,mysql2,pino', 'mysql2').databaseSpans, false, 'disabled: no query spans');
});

test('naming another instrumentation loads the auto-instrumentations package, which builds the named ones minus the disabled', () => {
  const previousDisabled = process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'];
  process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = 'koa';
  try {
    const built = instrumentations('http,koa,dns', 'koa');
    assert.deepEqual(namesOf(built.instrumentations), ['@opentelemetry/instrumentation-dns', '@opentelemetry/instrumentation-http']);
    assert.equal(built.databaseSpans, false);
    assert.equal(autoLoaded(), true);
    for (const instrumentation of built.instrumentations) instrumentation.disable();
    // With mysql2 named beside one outside the curated set, the kit's spans stand in for its instrumentation there too.
    const withQueries = instrumentations('mysql2,dns', undefined);
    assert.deepEqual(namesOf(withQueries.instrumentations), ['@opentelemetry/instrumentation-dns']);
    assert.equal(withQueries.databaseSpans, true);
    for (const instrumentation of withQueries.instrumentations) instrumentation.disable();
  } finally {
    if (previousDisabled === undefined) delete process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'];
    else process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = previousDisabled;
  }
});
