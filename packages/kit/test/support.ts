import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type Koa from 'koa';
import { createApiApp, type ApiAppOptions } from '../src/http/api-app.js';
import { HealthRegistry } from '../src/health.js';
import { httpServerDuration } from '../src/metrics/registry.js';
import { createLogger, type Logger } from '../src/logger.js';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { TEST_AUDIENCE, TEST_ISSUER } from '@cinemetrics/testing';

/** A real pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(service = 'test'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service, level: 'debug', destination }), lines };
}

export interface ServedApp {
  url: string;
  server: http.Server;
  /** Ends open connections too, so a test with a hanging request still finishes. */
  close(): Promise<void>;
}

/** Serves a Koa app on a free loopback port. */
export async function serveApp(app: Koa): Promise<ServedApp> {
  const handler = app.callback();
  const server = http.createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A verifier accepting tokens signed by these keys for the test issuer and audience. */
export function verifierFor(keySet: JSONWebKeySet = { keys: [] }): TokenVerifier {
  return new TokenVerifier({ keys: createLocalJWKSet(keySet), issuer: TEST_ISSUER, audience: TEST_AUDIENCE, clockToleranceSeconds: 30 });
}

/** The public app with the settings every kit test shares: a fresh health registry, 1 KiB bodies, no trusted keys. */
export function testApiApp(options: Pick<ApiAppOptions, 'logger' | 'routes'> & Partial<ApiAppOptions>): Koa {
  return createApiApp({ health: new HealthRegistry(), openapi: { title: 't', version: '1' }, bodyLimit: '1kb', verifier: verifierFor(), ...options });
}

/** How many requests `http_server_request_duration_seconds` has counted for a method, route and status. */
export async function measuredRequests(method: string, route: string, status: number): Promise<number> {
  const values = (await httpServerDuration.get()).values;
  return (
    values.find(
      (value) =>
        value.metricName === 'http_server_request_duration_seconds_count' &&
        value.labels.http_request_method === method &&
        value.labels.http_route === route &&
        value.labels.http_response_status_code === String(status),
    )?.value ?? 0
  );
}

const trackedContexts = new AsyncLocalStorage<{ values: number[] }>();

/**
 * Runs `work` in an async context of its own — an AsyncLocalStorage value of some size, as a request's
 * scope and spans are — and gives a weak reference to that value, to ask later whether anything still
 * holds the context (collectGarbage first).
 */
export function inTrackedContext<T>(work: () => T): { result: T; context: WeakRef<object> } {
  const value = { values: Array.from({ length: 1_000 }, (_, index) => index) };
  // No closure may capture `value`: V8 can compile such a closure against its context on a background
  // thread, and the compile job holds that context (and so `value`) until it is done.
  const context = new WeakRef(value);
  return { result: trackedContexts.run(value, work), context };
}

/** One full garbage collection, now. */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
