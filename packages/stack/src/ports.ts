import { createServer } from 'node:net';

/**
 * Every port the native stack listens on (all on loopback). A type rather than an interface, so
 * `Object.values` and `Object.entries` know the values are numbers.
 */
export type StackPorts = {
  collectorOtlpGrpc: number;
  collectorOtlpHttp: number;
  collectorHealth: number;
  collectorMetrics: number;
  jaegerOtlpGrpc: number;
  jaegerOtlpHttp: number;
  jaegerQuery: number;
  jaegerQueryGrpc: number;
  jaegerHealth: number;
  jaegerMetrics: number;
  prometheus: number;
  alertmanager: number;
  victorialogs: number;
};

/** The ports `npm run stack` uses, as docs/stack.md lists them. */
export const DEFAULT_STACK_PORTS: StackPorts = {
  collectorOtlpGrpc: 4317,
  collectorOtlpHttp: 4318,
  collectorHealth: 13133,
  collectorMetrics: 8888,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerHealth: 13134,
  jaegerMetrics: 8889,
  prometheus: 9090,
  alertmanager: 9093,
  victorialogs: 9428,
};

/**
 * Asks the kernel for a currently unused loopback TCP port. The port is released before returning,
 * so another process could in theory take it first; good enough for tests and second copies.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected server address ${String(address)}`));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}

/** A distinct free loopback port for each of the stack's listeners (tests run beside a real stack). */
export async function freeStackPorts(): Promise<StackPorts> {
  const taken = new Set<number>();
  const entries: [keyof StackPorts, number][] = [];
  for (const key of Object.keys(DEFAULT_STACK_PORTS) as (keyof StackPorts)[]) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    entries.push([key, port]);
  }
  return Object.fromEntries(entries) as unknown as StackPorts;
}
