import path from 'node:path';
import { DEFAULT_STACK_PORTS } from '@cinemetrics/stack';
import { DEFAULT_PORT_BASE, DEFAULT_READY_TIMEOUT_MS, integerEnv, parseCommandOptions, startConfig, StartError, type StartConfig } from '../start/config.js';
import { REPO_ROOT } from '../start/services.js';
import { MAX_RATE } from '../loadgen/options.js';

export const DEFAULT_LOADGEN_RATE = 5;
/** Long enough to leave running for an afternoon, bounded so a forgotten stack stops its traffic. */
export const LOADGEN_DURATION_S = 8 * 3600;
const MAX_STACK_PORT_OFFSET = 65_535 - Math.max(...Object.values(DEFAULT_STACK_PORTS));

export interface StackConfig extends StartConfig {
  /** Added to every default stack port (docs/stack.md lists them). */
  stackPortOffset: number;
  /** Each backend's data and every log file, kept between runs. */
  dataDir: string;
  tailSampling: boolean;
  /** Requests per second of the load generator; undefined with --no-loadgen. */
  loadgenRate: number | undefined;
}

export const USAGE = `Usage: npm run stack [-- --no-loadgen] [--loadgen-rate R] [--tail-sampling] [--no-seed]

Builds the telemetry stack if needed (npm run stack:build), starts the OpenTelemetry Collector, Jaeger,
Prometheus, Alertmanager and VictoriaLogs on loopback, runs metadata, rating, movie and auth under the
supervisor of npm start exporting to the collector, loads the demo data into an empty database and
sends gentle synthetic traffic for ${LOADGEN_DURATION_S / 3600} hours. Prints the URLs to open. Ctrl+C stops everything.

Options:
  --no-loadgen       send no synthetic traffic
  --loadgen-rate R   synthetic requests per second (1-${MAX_RATE}, default ${DEFAULT_LOADGEN_RATE})
  --tail-sampling    the collector keeps errors, slow traces and a share of the rest for Jaeger
  --no-seed          never load the demo data (same as CINEMETRICS_SEED=off)

Environment: as npm start (MYSQL_URL, CINEMETRICS_SEED, LOG_LEVEL, ...), and
CINEMETRICS_PORT_BASE (default ${DEFAULT_PORT_BASE}: service API ports base+1..base+4, admin ports base+11..base+14),
CINEMETRICS_STACK_PORT_OFFSET (default 0: added to every stack port, e.g. 100 → collector OTLP 4417/4418,
  Jaeger 16786, Prometheus 9190, Alertmanager 9193, VictoriaLogs 9528),
CINEMETRICS_STACK_DATA_DIR (default .data/stack: the backends' data and every log file),
CINEMETRICS_READY_TIMEOUT_MS (default ${DEFAULT_READY_TIMEOUT_MS}).`;

/** The options and CINEMETRICS_* variables of `npm run stack`; undefined when only the usage was asked for. */
export function parseStackConfig(argv: string[], env: NodeJS.ProcessEnv): StackConfig | undefined {
  const values = parseCommandOptions(
    argv,
    {
      'no-seed': { type: 'boolean' },
      'no-loadgen': { type: 'boolean' },
      'loadgen-rate': { type: 'string' },
      'tail-sampling': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help === true) return undefined;
  const rate = values['loadgen-rate'];
  if (rate !== undefined && (!/^\d+$/.test(rate) || Number(rate) < 1 || Number(rate) > MAX_RATE)) {
    throw new StartError(`--loadgen-rate must be a whole number of requests per second from 1 to ${MAX_RATE} (got ${JSON.stringify(rate)})`, 2);
  }
  if (rate !== undefined && values['no-loadgen'] === true) throw new StartError('--loadgen-rate and --no-loadgen contradict each other', 2);
  const dataDir = env['CINEMETRICS_STACK_DATA_DIR'];
  return {
    ...startConfig(env, values['no-seed'] === true),
    stackPortOffset: integerEnv(env, 'CINEMETRICS_STACK_PORT_OFFSET', 0, 0, MAX_STACK_PORT_OFFSET),
    dataDir: dataDir ? path.resolve(dataDir) : path.join(REPO_ROOT, '.data', 'stack'),
    tailSampling: values['tail-sampling'] === true,
    loadgenRate: values['no-loadgen'] === true ? undefined : Number(rate ?? DEFAULT_LOADGEN_RATE),
  };
}
