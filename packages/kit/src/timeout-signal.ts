/** An abort signal bounded by a delay (and a parent signal), and the means to let go of both early. */
export interface TimeoutSignal {
  readonly signal: AbortSignal;
  /** Stops the timer and leaves the parent: call it once the work the signal bounds has ended, however it ended. */
  readonly clear: () => void;
}

/**
 * `AbortSignal.any([AbortSignal.timeout(ms), parent])`, with a timer the caller clears. A timer holds
 * the async context it was started in — the request's scope and its spans — until it fires or is
 * cleared; `AbortSignal.timeout`'s is only cleared once its signal has been garbage-collected, so every
 * finished call would keep its request's context alive through at least one more collection. The
 * signal aborts with the parent's reason, or with the same `DOMException` named `TimeoutError`.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): TimeoutSignal {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, clear: () => undefined };
  }
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
