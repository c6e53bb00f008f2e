import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scriptable in-process HTTP server standing in for a downstream where a real service cannot
 * produce the behaviour on cue (503 then 200, Retry-After, a 400, a hang, a 401 for a revoked token).
 * Every request is recorded with its arrival time.
 */

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  /** The client's port: the same for requests over one kept-alive connection. */
  remotePort: number | undefined;
}

export type Reply = (request: SeenRequest, response: http.ServerResponse) => void;

export interface ScriptedServer {
  url: string;
  port: number;
  /** Requests seen on paths other than `/.well-known/alive` and `/.well-known/health`. */
  seen: SeenRequest[];
  /** Liveness and readiness probes seen (both answered by `alive`). */
  probes: SeenRequest[];
  /** How the next requests are answered: a queue, then `fallback` for the rest. */
  script(...replies: Reply[]): void;
  fallback: Reply;
  alive: Reply;
  close(): Promise<void>;
}

export function status(code: number, body: unknown = { status: code }, headers: Record<string, string> = {}): Reply {
  return (_request, response) => {
    response.writeHead(code, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
}

/** Never answers; the socket is closed when the client gives up or the server closes. */
export const hang: Reply = () => undefined;

export function delayed(ms: number, reply: Reply): Reply {
  return (request, response) => {
    const timer = setTimeout(() => reply(request, response), ms);
    response.on('close', () => clearTimeout(timer));
  };
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const queue: Reply[] = [];
  const state: ScriptedServer = {
    url: '',
    port: 0,
    seen: [],
    probes: [],
    script: (...replies) => {
      queue.length = 0;
      queue.push(...replies);
    },
    fallback: status(200, { ok: true }),
    alive: status(200, { status: 'alive' }),
    close: () => Promise.resolve(),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: SeenRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
        remotePort: request.socket.remotePort,
      };
      if (seen.url === '/.well-known/alive' || seen.url === '/.well-known/health') {
        state.probes.push(seen);
        state.alive(seen, response);
        return;
      }
      state.seen.push(seen);
      (queue.shift() ?? state.fallback)(seen, response);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** The canned replies, grouped so their short names stay unambiguous where they are imported. */
export const replies = { status, hang, delayed };
