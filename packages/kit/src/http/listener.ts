import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

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

/**
 * An HTTP listener that can drain: after `beginDrain()` every response tells the client to close
 * its connection, so keep-alive sockets end once their in-flight request is answered.
 */
export class DrainableListener {
  readonly server: http.Server;
  private readonly responses = new Set<http.ServerResponse>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(app: Koa, timeouts: ListenerTimeouts = DEFAULT_LISTENER_TIMEOUTS) {
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
      response.once('close', () => this.requestDone(response));
      void handler(request, response);
    });
  }

  get activeRequests(): number {
    return this.responses.size;
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
    this.draining = true;
    for (const response of this.responses) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
    this.server.close();
    this.server.closeIdleConnections();
  }

  /** Resolves when no request is in flight, or after `deadlineMs`, whichever is first. */
  async drained(deadlineMs: number): Promise<boolean> {
    if (this.responses.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const result = await Promise.race([idle, deadline]);
    clearTimeout(timer);
    return result;
  }

  /** Ends every remaining connection, in-flight or not. */
  closeAll(): void {
    this.server.closeAllConnections();
  }

  private requestDone(response: http.ServerResponse): void {
    this.responses.delete(response);
    if (this.responses.size === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}
