import { diag, DiagConsoleLogger, type TextMapPropagator } from '@opentelemetry/api';
import {
  CompositePropagator,
  diagLogLevelFromString,
  getNumberFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler, type SpanLimits } from '@opentelemetry/sdk-trace';
import type { PropagatorName } from './settings.js';

/*
 * The parts of the OTEL_* environment that `@opentelemetry/sdk-node` reads for the pieces the preload
 * builds itself, read the same way and with the same defaults. The preload does not use sdk-node: its
 * module graph loads every exporter it could build (gRPC, Zipkin, the metrics exporters) and the
 * declarative-configuration package on every start, used or not.
 */

/** OTEL_LOG_LEVEL: the SDK's own diagnostics on the console, off unless set. */
export function diagnosticsFromEnv(): void {
  const level = getStringFromEnv('OTEL_LOG_LEVEL');
  if (level !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(level) });
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (validated in settings.ts); undefined keeps the SDK's default, parent-based always-on. */
export function samplerFromEnv(): Sampler | undefined {
  const ratio = () => getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG') ?? 1;
  switch (getStringFromEnv('OTEL_TRACES_SAMPLER')) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return undefined;
  }
}

/** OTEL_SPAN_*_LIMIT and OTEL_ATTRIBUTE_*_LIMIT; unset ones keep the SDK's defaults. */
export function spanLimitsFromEnv(): SpanLimits {
  return {
    attributeCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: getNumberFromEnv('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: getNumberFromEnv('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
}

type B3Module = typeof import('@opentelemetry/propagator-b3');

/** B3 is loaded only when OTEL_PROPAGATORS names it. */
const PROPAGATORS: Record<Exclude<PropagatorName, 'none'>, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new (require('@opentelemetry/propagator-b3') as B3Module).B3Propagator(),
  b3multi: () => {
    const b3 = require('@opentelemetry/propagator-b3') as B3Module;
    return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.MULTI_HEADER });
  },
};

/**
 * OTEL_PROPAGATORS: W3C trace context and baggage unless set; `none` installs no propagator, which leaves
 * the API's no-op one. Unknown names stopped start-up in settings.ts.
 */
export function propagatorFromEnv(): TextMapPropagator | undefined {
  const names = getStringListFromEnv('OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'];
  if (names.includes('none')) return undefined;
  const propagators = [...new Set(names)].flatMap((name) => (name in PROPAGATORS ? [PROPAGATORS[name as keyof typeof PROPAGATORS]()] : []));
  if (propagators.length <= 1) return propagators[0];
  return new CompositePropagator({ propagators });
}
