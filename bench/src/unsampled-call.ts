/**
 * bench/unsampled-call: what the undici instrumentation costs a downstream call made while an unsampled
 * request is served, and what is left of it when the caller puts the trace context in itself and the
 * instrumentation skips the call (`withUnsampledTraceContext`, `carriesTraceparent`;
 * docs/telemetry.md, *An unsampled request costs as little tracing as the kit can make it*).
 *
 *   npm run bench:unsampled-call [-- --rounds 12 --calls 4000]
 *
 * One keep-alive undici pool calls a plain `node:http` server in another process, sequentially, under a
 * parent span that does not record, with the preload's parent-based sampler. Three arms alternate round
 * after round, the order reversing: the instrumentation doing its full work (`full`), the kit's way
 * (`skipped`), and the instrumentation disabled (`none`, the floor). The figure is this process's CPU
 * time per call; the report is quartiles over rounds and the per-round difference to the floor.
 */
import path from 'node:path';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { UndiciInstrumentation, type UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';
import { AlwaysOffSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { carriesTraceparent, withUnsampledTraceContext } from '@cinemetrics/telemetry';
import { Pool } from 'undici';
import { cell } from './cells.js';
import { numberOption } from './options.js';
import { median, quartiles } from './spread.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, calls: { type: 'string' } } });
const rounds = numberOption(values.rounds, 'rounds', 12, { min: 2, max: 100 });
const calls = numberOption(values.calls, 'calls', 4000, { min: 100, max: 1_000_000 });

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }));
const instrumentation = new UndiciInstrumentation();
instrumentation.enable();

/** What the kit's client sends besides the trace context: JSON, a bearer token, the request id. */
const HEADERS = { accept: 'application/json', authorization: `Bearer ${'x'.repeat(160)}`, 'x-request-id': 'f6c2a1de-6a3e-4a55-9d0e-1c2b3a4d5e6f' };

interface Arm {
  name: 'full' | 'skipped' | 'none';
  config: UndiciInstrumentationConfig;
  headers: () => Record<string, string>;
}

const ARMS: Arm[] = [
  { name: 'full', config: {}, headers: () => HEADERS },
  { name: 'skipped', config: { ignoreRequestHook: (request) => carriesTraceparent(request.headers) }, headers: () => withUnsampledTraceContext(HEADERS) },
  { name: 'none', config: { enabled: false }, headers: () => HEADERS },
];

const unsampledParent = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });

async function cpuMicrosPerCall(pool: Pool, arm: Arm): Promise<number> {
  instrumentation.setConfig(arm.config);
  return context.with(trace.setSpan(context.active(), unsampledParent), async () => {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) {
      const response = await pool.request({ path: `/metadata/tt${i}`, method: 'GET', headers: arm.headers() });
      await response.body.arrayBuffer();
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  });
}

async function main(): Promise<void> {
  const server = fork(path.join(__dirname, 'unsampled-call-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [port] = (await once(server, 'message')) as [number];
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 1 });
    for (const arm of ARMS) await cpuMicrosPerCall(pool, arm);
    const results = new Map<Arm['name'], number[]>(ARMS.map((arm) => [arm.name, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const arm of round % 2 === 0 ? ARMS : [...ARMS].reverse()) results.get(arm.name)?.push(await cpuMicrosPerCall(pool, arm));
    }
    await pool.close();
    const floor = results.get('none') ?? [];
    console.log(`bench/unsampled-call: ${rounds} rounds of ${calls} calls per arm, Node ${process.version}; CPU µs per call of the calling process`);
    console.log(`${'arm'.padEnd(10)}${'q1'.padStart(9)}${'median'.padStart(9)}${'q3'.padStart(9)}   over none, median of rounds`);
    for (const arm of ARMS) {
      const figures = results.get(arm.name) ?? [];
      const [q1, mid, q3] = quartiles(figures);
      const over = arm.name === 'none' ? '' : cell(median(figures.map((figure, round) => figure - (floor[round] ?? figure))), 1);
      console.log(`${arm.name.padEnd(10)}${cell(q1, 1)}${cell(mid, 1)}${cell(q3, 1)}   ${over}`);
    }
  } finally {
    server.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
