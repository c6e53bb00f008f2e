import { isSpanContextValid, trace } from '@opentelemetry/api';
import { time, type LabelSet } from '@datadog/pprof';
import type { Context, Next } from 'koa';
import { routeTemplate, UNMATCHED_ROUTE } from '../request-context.js';
import { isLabellingRequests } from './profiler.js';

/**
 * Labels the CPU samples taken while a request runs with its `route` template and `trace_id`, so
 * a hot spot in a profile can be tied to a slow trace. Runs inside matched routes; costs one boolean
 * check unless a CPU profile with labels is being taken.
 */
export function profilingLabels(ctx: Context, next: Next): Promise<void> {
  if (!isLabellingRequests() || !time.isStarted()) return next();
  const labels: LabelSet = { route: routeTemplate(ctx) ?? UNMATCHED_ROUTE };
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) labels['trace_id'] = spanContext.traceId;
  return time.runWithContext(labels, next);
}
