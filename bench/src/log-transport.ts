/**
 * bench/log-transport: what exporting the log lines over OTLP costs, per way of sending them
 * (log-transport-variants.ts), against pino writing to stdout alone, measured in the same run.
 * Each measurement is a fresh process (log-transport-child.ts) that logs a fixed number of lines
 * in request-sized chunks under a span, with stdout on /dev/null and the records going to an
 * in-process OTLP/HTTP receiver; the bench reports CPU per line on the main thread (the event
 * loop that serves requests) and in the whole process, and how many records arrived, with trace ids.
 *
 *   npm run bench:log-transport [-- --rounds 5 --lines 20000]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startOtlpReceiver } from '@cinemetrics/testing';
import { numberOption, OptionError, readCommandLine, textOption } from './options.js';
import { median } from './spread.js';
import { LOG_TRANSPORT_VARIANTS, type LogTransportResult, type LogTransportVariant } from './log-transport-variants.js';

/** The variants measured: `--only` (comma-separated) names them; the baseline always runs. */
function variantsNamed(only: string | undefined): LogTransportVariant[] {
  if (only === undefined) return [...LOG_TRANSPORT_VARIANTS];
  const named = only.split(',').map((name) => name.trim());
  const unknown = named.filter((name) => !(LOG_TRANSPORT_VARIANTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new OptionError(`--only: no variant named ${unknown.join(', ')}; variants are ${LOG_TRANSPORT_VARIANTS.join(', ')}`);
  return LOG_TRANSPORT_VARIANTS.filter((variant) => variant === 'stdout-only' || named.includes(variant));
}

const { ROUNDS, LINES, VARIANTS } = readCommandLine(
  { rounds: numberOption(5, { min: 1, max: 100 }), lines: numberOption(20_000, { min: 100, max: 10_000_000 }), only: textOption() },
  ({ rounds, lines, only }) => ({ ROUNDS: rounds, LINES: lines, VARIANTS: variantsNamed(only) }),
);
/** A child that has not reported by then is stopped and the bench fails. */
const CHILD_TIMEOUT_MS = 120_000;

interface Sample {
  mainMicrosPerLine: number;
  processMicrosPerLine: number;
  delivered: number;
  withTraceId: number;
}

async function measure(variant: LogTransportVariant): Promise<Sample> {
  const receiver = await startOtlpReceiver();
  try {
    const child = fork(path.join(__dirname, 'log-transport-child.js'), {
      execArgv: ['--require', path.join(__dirname, 'log-transport-sdk.js')],
      env: { ...process.env, BENCH_LOG_VARIANT: variant, BENCH_LOG_LINES: String(LINES), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bench' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      timeout: CHILD_TIMEOUT_MS,
    });
    let result: LogTransportResult | undefined;
    child.once('message', (message: LogTransportResult) => (result = message));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0 || !result) throw new Error(`${variant}: the child exited with ${code ?? signal} without a result`);
    const records = receiver.logs().filter((log) => log.body === 'bench line');
    return {
      mainMicrosPerLine: (result.mainThreadCpuSeconds * 1e6) / result.lines,
      processMicrosPerLine: (result.processCpuSeconds * 1e6) / result.lines,
      delivered: records.length,
      withTraceId: records.filter((log) => /^[0-9a-f]{32}$/.test(log.traceId ?? '') && !/^0+$/.test(log.traceId ?? '')).length,
    };
  } finally {
    await receiver.close();
  }
}

async function main(): Promise<void> {
  const samples = new Map<LogTransportVariant, Sample[]>(VARIANTS.map((variant) => [variant, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const variant of VARIANTS) {
      const sample = await measure(variant);
      samples.get(variant)?.push(sample);
      process.stderr.write(`round ${round} ${variant}: ${JSON.stringify(sample)}\n`);
    }
  }
  const baseline = samples.get('stdout-only') ?? [];
  const baselineMain = median(baseline.map((s) => s.mainMicrosPerLine));
  const baselineProcess = median(baseline.map((s) => s.processMicrosPerLine));
  const rows = VARIANTS.map((variant) => {
    const of = samples.get(variant) ?? [];
    const main = median(of.map((s) => s.mainMicrosPerLine));
    const whole = median(of.map((s) => s.processMicrosPerLine));
    const delivered = Math.min(...of.map((s) => s.delivered));
    const withTraceId = Math.min(...of.map((s) => s.withTraceId));
    return `| ${variant} | ${main.toFixed(1)} | ${(main / baselineMain).toFixed(2)} | ${whole.toFixed(1)} | ${(whole / baselineProcess).toFixed(2)} | ${delivered} / ${LINES} | ${withTraceId} |`;
  });
  console.log(`log transport, ${ROUNDS} rounds of ${LINES} lines each, medians (delivered and trace ids: the lowest round)\n`);
  console.log('| variant | main thread µs/line | × stdout-only | process µs/line | × stdout-only | records delivered | with trace id |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

void main();
