import { setTimeout as delay } from 'node:timers/promises';
import { say } from './output.js';
import type { ServicePorts } from './services.js';

const READY_POLL_MS = 200;
const PROBE_TIMEOUT_MS = 1_000;

/** '' when GET url answered 200, otherwise what it answered. */
async function probe(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = await response.text();
    return response.status === 200 ? '' : `status ${response.status} ${body.slice(0, 300)}`;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
    return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * Polls each service's GET /.well-known/health until it answers 200 (a service restarted meanwhile is
 * simply polled again). Resolves with a line for each service not ready within timeoutMs — never
 * throws: the supervisor keeps them running either way.
 */
export async function waitUntilReady(all: ServicePorts[], timeoutMs: number, stop: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const late = await Promise.all(
    all.map(async (service): Promise<string | undefined> => {
      const url = `http://127.0.0.1:${service.port}/.well-known/health`;
      while (!stop.aborted) {
        const answer = await probe(url);
        if (answer === '') {
          say(`${service.name} is ready`);
          return undefined;
        }
        if (Date.now() > deadline) return `${service.name} was not ready within ${timeoutMs / 1000} s: GET ${url} gave ${answer}`;
        await delay(READY_POLL_MS, undefined, { signal: stop }).catch(() => undefined);
      }
      return undefined;
    }),
  );
  return late.filter((line) => line !== undefined);
}
