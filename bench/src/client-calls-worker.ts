/**
 * One measurement for bench/client-calls: `CALLS` sequential GETs to `TARGET_URL`, each inside a
 * request's deadline scope as in a service, through the kit client loaded from `KIT_MODULE` (a built
 * `@cinemetrics/kit` entry point: this tree's, or a baseline built elsewhere) or, with
 * `KIT_MODULE=undici`, through a bare undici pool. Log lines are written, to /dev/null. Prints one
 * JSON line: `{"callsPerSecond": n, "cpuMicrosPerCall": n}` (this process's CPU time: the client's own cost,
 * steadier than throughput, which the round trip and the machine's load dominate).
 */
import { createWriteStream } from 'node:fs';
import { Pool } from 'undici';

type Get = () => Promise<number>;

interface KitModule {
  createLogger(options: { service: string; level: string; destination: NodeJS.WritableStream }): unknown;
  DownstreamRegistry: new (options: { logger: unknown }) => {
    register(name: string, options: { baseUrl: string }): { get(path: string): Promise<{ status: number; body: Buffer }> };
    close(): Promise<void>;
  };
  runWithDeadline<T>(budgetMs: number, work: () => T): T;
}

const PATH = '/metadata/bench-1';

async function kitGet(modulePath: string, url: string): Promise<{ get: Get; close: () => Promise<void> }> {
  const kit = (await import(modulePath)) as KitModule;
  const logger = kit.createLogger({ service: 'bench', level: 'info', destination: createWriteStream('/dev/null') });
  const registry = new kit.DownstreamRegistry({ logger });
  const client = registry.register('metadata', { baseUrl: url });
  return {
    get: () => kit.runWithDeadline(5_000, async () => (await client.get(PATH)).status),
    close: () => registry.close(),
  };
}

function undiciGet(url: string): { get: Get; close: () => Promise<void> } {
  const pool = new Pool(url, { connections: 64, keepAliveTimeout: 4_000 });
  return {
    get: async () => {
      const response = await pool.request({ path: PATH, method: 'GET' });
      await response.body.arrayBuffer();
      return response.statusCode;
    },
    close: () => pool.close(),
  };
}

async function main(): Promise<void> {
  const modulePath = process.env['KIT_MODULE'] ?? 'undici';
  const url = process.env['TARGET_URL'] ?? '';
  const calls = Number(process.env['CALLS'] ?? 5_000);
  const warmup = Number(process.env['WARMUP'] ?? 2_000);
  const { get, close } = modulePath === 'undici' ? undiciGet(url) : await kitGet(modulePath, url);
  for (let i = 0; i < warmup; i += 1) await get();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < calls; i += 1) {
    const status = await get();
    if (status !== 200) throw new Error(`call ${i} answered ${status}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await close();
  process.stdout.write(`${JSON.stringify({ callsPerSecond: calls / seconds, cpuMicrosPerCall: (cpu.user + cpu.system) / calls })}\n`);
}

void main();
