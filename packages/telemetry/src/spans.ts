import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('cinemetrics');

/**
 * `error.type` for an operation that failed with `error`: its code when it has one (a driver's
 * `ER_NO_SUCH_TABLE`, undici's `UND_ERR_…`, the system's `ECONNREFUSED`), else its name, else `_OTHER`.
 */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/** Marks a span failed with the error recorded as an exception event. */
export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `work` in an active child span; a throw is recorded on the span and rethrown. Under a span that
 * does not record (an unsampled request) `work` gets that span instead: every sampler the preload
 * builds (sdk-environment.ts) would decide the same for the child, so no span is made to be dropped.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  const active = trace.getActiveSpan();
  if (active !== undefined && !active.isRecording()) return work(active);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<unknown> ? (args: A) => Attributes : never;
};

function outcomeAttributes(result: unknown): Attributes {
  if (Array.isArray(result)) return { 'cinemetrics.result.count': result.length };
  if (result === undefined || result === null) return { 'cinemetrics.result.found': false };
  return {};
}

function spanName(prefix: string, method: string): string {
  return `${prefix}/${method.charAt(0).toUpperCase()}${method.slice(1)}`;
}

/**
 * Wraps every async method named in `describe` in a span `<prefix>/<Method>` (e.g. `Repository/Get`)
 * with the attributes `describe` derives from the arguments, plus the result's count or absence.
 * Ids belong on spans, never on metric labels.
 */
export function traced<T extends object>(target: T, prefix: string, describe: Partial<AsyncMethods<T>>): T {
  // One wrapper per method, made on first use rather than on every call; remade if the method is replaced.
  const wrappers = new Map<PropertyKey, { method: (...args: unknown[]) => Promise<unknown>; wrapper: (...args: unknown[]) => unknown }>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      const attributesOf = describe[property as keyof T];
      if (typeof value !== 'function' || !attributesOf) return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      const known = wrappers.get(property);
      if (known?.method === method) return known.wrapper;
      const name = spanName(prefix, String(property));
      const wrapper = (...args: unknown[]) => {
        // Under an unsampled request a child span would be dropped anyway: skip its cost entirely.
        if (!trace.getActiveSpan()?.isRecording()) return method.apply(object, args);
        return withSpan(name, attributesOf(args), async (span) => {
          const result: unknown = await method.apply(object, args);
          span.setAttributes(outcomeAttributes(result));
          return result;
        });
      };
      wrappers.set(property, { method, wrapper });
      return wrapper;
    },
  });
}
