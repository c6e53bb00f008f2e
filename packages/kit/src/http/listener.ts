import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Koa from 'koa';
import pino, { type Logger } from 'pino';
import { ConfigError } from '../config-error.js';
import { clientErrorHandler } from './client-error.js';

export interface ListenerTimeouts {
  /** Time allowed to receive a request's headers, from its first byte (slowloris guard); answered 408. */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request, headers and body (slow-upload guard); not the handler's time. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open: longer than the idle timeout of whatever pools connections to us. */
  keepAliveTimeoutMs: number;
  /** How often node checks the two request timeouts (its default, 30 s, lets them fire up to 30 s late). */
  connectionsCheckingIntervalMs?: number;
}

/**
 * Defaults, reasoned in docs/inbound-protection.md (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS,
 * HTTP_KEEP_ALIVE_TIMEOUT_MS override them): headers within 10 s, a whole request within 30 s, idle
 * connections kept 65 s — above the 60 s idle timeout of AWS ALB and nginx, so the pooling side
 * closes first. On node ≥ 18 idle keep-alive time does not count towards the headers timeout, so it
 * need not exceed the keep-alive timeout any more (the node 10 era advice).
 */
export const DEFAULT_LISTENER_TIMEOUTS: ListenerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  connectionsCheckingIntervalMs: 1_000,
};

/** The variables read here, as `loadConfig` parsed them. */
interface TimeoutEnv {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}

/**
 * The listeners' timeouts from the environment. Node refuses a headers timeout longer than the
 * request timeout (the headers are part of the request), so that is a configuration error here.
 */
export function listenerTimeoutsFromEnv(env: TimeoutEnv): ListenerTimeouts {
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(['HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS']);
  }
  return {
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
}

/**
 * An HTTP listener that can drain: after `beginDrain()` it accepts no connection, every response tells
 * its client to close, idle connections are closed as they become idle, and `drained()` resolves once
 * the last connection has ended — so a request that reached us is always answered before shutdown
 * goes on to close pools.
 */
export class DrainableListener {
  readonly server: http.Server;
  private readonly responses = new Set<http.ServerResponse>();
  private draining = false;
  private closed: Promise<void> | undefined;
  private idleSweep: NodeJS.Timeout | undefined;

  /** `logger` records connections node's parser rejects (by error code only); silent without one. */
  constructor(app: Koa, timeouts: ListenerTimeouts = DEFAULT_LISTENER_TIMEOUTS, logger: Logger = pino({ level: 'silent' })) {
    const handler = app.callback();
    const options: http.ServerOptions = {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: timeouts.connectionsCheckingIntervalMs ?? DEFAULT_LISTENER_TIMEOUTS.connectionsCheckingIntervalMs,
    };
    this.server = http.createServer(options, (request, response) => {
      this.responses.add(response);
      if (this.draining) response.setHeader('connection', 'close');
      response.once('close', () => this.responses.delete(response));
      void handler(request, response);
    });
    this.server.on('clientError', clientErrorHandler(logger, (socket) => this.responseOn(socket)));
  }

  get activeRequests(): number {
    return this.responses.size;
  }

  private responseOn(socket: Socket): http.ServerResponse | undefined {
    for (const response of this.responses) if (response.socket === socket) return response;
    return undefined;
  }

  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and closes idle ones; in-flight requests go on. */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const response of this.responses) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
    // 'close' fires once every connection has ended, not merely when the listening socket has.
    this.closed = new Promise((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // A connection accepted just before close may send its request later; sweep until all are gone.
    this.idleSweep = setInterval(() => this.server.closeIdleConnections(), 50);
    this.idleSweep.unref();
  }

  /** Resolves true when every connection has ended, false when `deadlineMs` passed first. */
  async drained(deadlineMs: number): Promise<boolean> {
    if (!this.closed) throw new Error('drained() called before beginDrain()');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const result = await Promise.race([this.closed.then(() => true), deadline]);
    clearTimeout(timer);
    clearInterval(this.idleSweep);
    return result;
  }

  /** Ends every remaining connection, in-flight or not. */
  closeAll(): void {
    clearInterval(this.idleSweep);
    this.server.closeAllConnections();
  }
}
