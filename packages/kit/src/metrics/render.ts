import { Registry } from 'prom-client';
import { registry } from './registry.js';

export type MetricsFormat = 'openmetrics' | 'prometheus';

export function negotiateFormat(accept: string | undefined): MetricsFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
}

export function contentTypeOf(format: MetricsFormat): string {
  return format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Renders the registry in either format. prom-client renders by the registry's content type and, for
 * OpenMetrics, strips `_total` from counter names in place; so text rendering switches the type and
 * puts the suffix back for its duration. Renders are serialized so the two never interleave.
 */
export function renderMetrics(format: MetricsFormat): Promise<string> {
  const render = async (): Promise<string> => {
    if (format === 'openmetrics') return registry.metrics();
    const renamed: Array<{ name: string }> = [];
    for (const metric of registry.getMetricsAsArray() as unknown as Array<{ name: string; type?: string }>) {
      if (metric.type === 'counter' && !metric.name.endsWith('_total')) {
        metric.name = `${metric.name}_total`;
        renamed.push(metric);
      }
    }
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
    try {
      return await registry.metrics();
    } finally {
      registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      for (const metric of renamed) metric.name = metric.name.slice(0, -'_total'.length);
    }
  };
  const result = queue.then(render, render);
  queue = result.catch(() => undefined);
  return result;
}
