import { createServer } from 'node:net';

/** Every port the native stack listens on (all on loopback). */
export interface StackPorts {
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
}

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

function oneFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A distinct free loopback port for each of the stack's listeners (tests run beside a real stack). */
export async function freeStackPorts(): Promise<StackPorts> {
  const taken = new Set<number>();
  const entries: [keyof StackPorts, number][] = [];
  for (const key of Object.keys(DEFAULT_STACK_PORTS) as (keyof StackPorts)[]) {
    let port = await oneFreePort();
    while (taken.has(port)) port = await oneFreePort();
    taken.add(port);
    entries.push([key, port]);
  }
  return Object.fromEntries(entries) as unknown as StackPorts;
}
