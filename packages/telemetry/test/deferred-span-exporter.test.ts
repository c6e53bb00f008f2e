import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { DeferredSpanExporter } from '../src/deferred-span-exporter.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** Records each batch it is given, with whether tracing was suppressed around the call. */
function recordingExporter() {
  const batches: { names: string[]; tracingSuppressed: boolean }[] = [];
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      batches.push({ names: spans.map((span) => span.name), tracingSuppressed: isTracingSuppressed(context.active()) });
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  return { batches, exporter };
}

function tracerExportingThrough(exporter: SpanExporter, maxExportBatchSize: number) {
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter, maxExportBatchSize, scheduledDelayMillis: 60_000 })] });
  return { tracer: provider.getTracer('test'), provider };
}

function endSpans(tracer: ReturnType<TracerProvider['getTracer']>, names: string[]): void {
  for (const name of names) tracer.startSpan(name).end();
}

test('the SDK batch processor alone exports inside the span.end() that fills a batch (why the deferral exists)', async () => {
  const { batches, exporter } = recordingExporter();
  const { tracer, provider } = tracerExportingThrough(exporter, 2);
  endSpans(tracer, ['router - /metadata/:id', 'Repository/Get']);
  assert.deepEqual(batches.map((batch) => batch.names), [['router - /metadata/:id', 'Repository/Get']]);
  await provider.shutdown();
});

test('a full batch is exported on a later turn of the event loop, with tracing suppressed, and nothing is lost', async () => {
  const { batches, exporter } = recordingExporter();
  const { tracer, provider } = tracerExportingThrough(new DeferredSpanExporter(exporter), 2);
  endSpans(tracer, ['router - /metadata/:id', 'Repository/Get']);
  assert.equal(batches.length, 0, 'the span.end() that filled the batch returned before any export work');
  await nextTurn();
  assert.deepEqual(batches, [{ names: ['router - /metadata/:id', 'Repository/Get'], tracingSuppressed: true }]);

  endSpans(tracer, ['GET /metadata/:id']);
  await provider.shutdown();
  assert.deepEqual(batches.at(-1)?.names, ['GET /metadata/:id'], 'shutdown exports the partial batch');
});
