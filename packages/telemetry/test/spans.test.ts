import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { errorType, traced, withSpan } from '../src/spans.js';

class Store {
  constructor(private readonly prefix: string) {}
  get(id: string): Promise<string> {
    return Promise.resolve(`${this.prefix}${id}`);
  }
  name(): string {
    return this.prefix;
  }
}

test('traced wraps each described method once, not on every call, and calls it on its object', async () => {
  const store = traced(new Store('movie-'), 'Repository', { get: ([id]) => ({ 'movie.id': id }) });
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compares the wrappers themselves, never calls them
  assert.equal(store.get, store.get, 'the same wrapper on every access');
  assert.equal(await store.get('tt1'), 'movie-tt1');
  assert.equal(store.name(), 'movie-', 'methods it does not describe are the object\'s own');
  const replaced = (id: string): Promise<string> => Promise.resolve(`replaced-${id}`);
  (store as { get: (id: string) => Promise<string> }).get = replaced;
  assert.equal(await store.get('tt2'), 'replaced-tt2', 'a replaced method is wrapped afresh');
});

test('withSpan records a child span under a recording parent, and makes none under an unsampled one', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('spans-test');
  const inSpan = (parent: Span) => async <T>(work: () => Promise<T>) => context.with(trace.setSpan(context.active(), parent), work);

  const sampled = tracer.startSpan('request');
  const failure = new Error('no such movie');
  await assert.rejects(
    inSpan(sampled)(() => withSpan('Repository/Get', { 'movie.id': 'tt1' }, () => Promise.reject(failure))),
    failure,
  );
  sampled.end();
  const [child] = exporter.getFinishedSpans().filter((span) => span.name === 'Repository/Get');
  assert.ok(child, 'the child span is exported');
  assert.equal(child.parentSpanContext?.spanId, sampled.spanContext().spanId);
  assert.deepEqual([child.attributes['movie.id'], child.status.code, child.events[0]?.name], ['tt1', SpanStatusCode.ERROR, 'exception']);

  exporter.reset();
  const unsampled = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });
  let given: Span | undefined;
  let active: Span | undefined;
  const answer = await inSpan(unsampled)(() =>
    withSpan('Repository/Get', { 'movie.id': 'tt2' }, (span) => {
      given = span;
      active = trace.getActiveSpan();
      return Promise.resolve('found');
    }),
  );
  assert.equal(answer, 'found');
  assert.equal(given, unsampled, 'the work runs in the unsampled request’s own span');
  assert.equal(active, unsampled, 'and calls it makes propagate that span’s trace');
  assert.deepEqual(exporter.getFinishedSpans(), [], 'no span is made to be dropped');
  await provider.shutdown();
});

test('errorType: the error’s code, else its name, else _OTHER', () => {
  assert.equal(errorType(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(errorType(new DOMException('timed out', 'TimeoutError')), 'TimeoutError');
  assert.equal(errorType(new TypeError('no')), 'TypeError');
  assert.equal(errorType({ code: 7 }), '_OTHER', 'a numeric code is not a type');
  assert.equal(errorType('a string'), '_OTHER');
  assert.equal(errorType(undefined), '_OTHER');
});
