import { context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * Hands each batch to `exporter` on a later turn of the event loop. The batch span processor exports
 * synchronously inside the `span.end()` that fills a batch, and most spans end before their response is
 * written (the router span, repository spans): without this, serializing the batch (about a millisecond
 * for 128 spans) would delay that one request — a couple of requests in a hundred at moderate rates,
 * which is the p99. The export keeps the processor's context, where tracing is suppressed, so the
 * exporter's own HTTP request is not traced.
 */
export class DeferredSpanExporter implements SpanExporter {
  constructor(private readonly exporter: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    setImmediate(context.bind(context.active(), () => this.exporter.export(spans, resultCallback)));
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.exporter.forceFlush?.();
  }
}
