import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface ListenerTimeouts {
  /** Time allowed to receive a request's headers (slowloris guard). */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open; above typical load-balancer idle timeouts' floor. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LISTENER_TIMEOUTS: ListenerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
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
    this.server = http.createServer((request, response) => {
      this.responses.add(response);
      if (this.draining) response.setHeader('connection', 'close');
      response.once('close', () => this.requestDone(response));
      void handler(request, response);
    });
    this.server.headersTimeout = timeouts.headersTimeoutMs;
    this.server.requestTimeout = timeouts.requestTimeoutMs;
    this.server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
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
