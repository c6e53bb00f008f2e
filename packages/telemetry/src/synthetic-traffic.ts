import { propagation, type Context } from '@opentelemetry/api';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** The W3C baggage entry that marks synthetic traffic (`npm run loadgen` sets it on every request). */
export const SYNTHETIC_BAGGAGE_KEY = 'synthetic';
/** The span attribute it becomes; the collector's span metrics carry it as the label `cinemetrics_synthetic`. */
export const SYNTHETIC_ATTRIBUTE = 'cinemetrics.synthetic';

/**
 * Marks every span a synthetic request causes, in this service and (baggage travels with each call)
 * in the ones it calls, so traces, span metrics and dashboards can tell load tests and probes from
 * users. Only this one entry is read: baggage comes from callers, and copying it wholesale would let
 * any client choose span attributes and metric labels.
 */
export class SyntheticTrafficSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    if (propagation.getBaggage(parentContext)?.getEntry(SYNTHETIC_BAGGAGE_KEY)?.value === 'true') span.setAttribute(SYNTHETIC_ATTRIBUTE, true);
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
