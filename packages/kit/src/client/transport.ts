import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Pool } from 'undici';
import type { Call, DownstreamResponse } from './call.js';
import { unavailableFrom } from './errors.js';
import type { DownstreamPolicy } from './policy.js';
import { timeoutSignal } from '../timeout-signal.js';
import { undici } from './undici.js';

/**
 * The innermost call: one HTTP exchange over a keep-alive undici pool, the body read whole. Every
 * failure is a DownstreamUnavailableError (timeout, connection, aborted, response too large).
 */
export class Transport {
  private readonly pool: Pool;

  constructor(
    private readonly peer: string,
    origin: string,
    private readonly policy: DownstreamPolicy,
  ) {
    // Idle connections are dropped well before the services' own keep-alive (HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // 65 s by default), so the pool never writes to a socket the server is closing. Timeouts per attempt
    // come from the abort signal; the pool's own are a backstop.
    this.pool = new (undici().Pool)(origin, {
      connections: policy.maxConnections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 4_000,
      connectTimeout: Math.max(policy.timeoutMs, policy.healthTimeoutMs),
      headersTimeout: Math.max(policy.timeoutMs, policy.defaultDeadlineMs) + 1_000,
      bodyTimeout: Math.max(policy.timeoutMs, policy.defaultDeadlineMs) + 1_000,
      maxResponseSize: policy.maxResponseBytes,
    });
  }

  readonly send: Call = async (request) => {
    const timeout = timeoutSignal(request.timeoutMs, request.call.signal);
    try {
      const response = await this.pool.request({
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: timeout.signal,
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return answer(response.statusCode, response.headers, bytes);
    } catch (error) {
      throw unavailableFrom(this.peer, error, {
        timeoutMs: request.timeoutMs,
        callerSignal: request.callerSignal,
        maxResponseBytes: this.policy.maxResponseBytes,
      });
    } finally {
      timeout.clear();
    }
  };

  /**
   * One untraced GET for health checks (probes every few seconds would bury the traces that matter);
   * the body parsed as JSON when it is JSON.
   */
  async probe(path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
    const timeout = timeoutSignal(timeoutMs);
    try {
      const response = await context.with(suppressTracing(context.active()), () => this.pool.request({ path, method: 'GET', signal: timeout.signal }));
      const text = await response.body.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.statusCode, body };
    } catch (error) {
      throw unavailableFrom(this.peer, error, { timeoutMs, maxResponseBytes: this.policy.maxResponseBytes });
    } finally {
      timeout.clear();
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function answer(status: number, headers: DownstreamResponse['headers'], bytes: Buffer): DownstreamResponse {
  return {
    status,
    headers,
    body: bytes,
    attempts: 0,
    text: () => bytes.toString('utf8'),
    json: () => JSON.parse(bytes.toString('utf8')) as unknown,
  };
}
