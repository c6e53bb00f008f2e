import path from 'node:path';
import { spawnBackend, type BackendProcess } from '@cinemetrics/stack';
import { DEMO_DATASET } from '../start/config.js';
import { relayLine } from '../start/output.js';
import { passedEnv, REPO_ROOT, telemetryPreload } from '../start/services.js';
import { LOADGEN_DURATION_S } from './config.js';

const LOADGEN_JS = path.join(__dirname, '..', 'loadgen.js');

export interface LoadgenOptions {
  ratePerSecond: number;
  /** The services' CINEMETRICS_PORT_BASE. */
  portBase: number;
  /** Where its own client spans go, so each synthetic request's trace starts at the generator. */
  collectorOtlpHttp: string;
  env: NodeJS.ProcessEnv;
  /** auth's admin token: the generator makes its load-user-N users with it. */
  adminToken: string;
}

/** `npm run loadgen` over the demo movies, its lines on this terminal; SIGTERM makes it print its summary. */
export function startLoadgen(options: LoadgenOptions): BackendProcess {
  return spawnBackend({
    name: 'loadgen',
    command: process.execPath,
    args: [
      '--require',
      telemetryPreload(),
      LOADGEN_JS,
      `--rate=${options.ratePerSecond}`,
      `--duration=${LOADGEN_DURATION_S}`,
      `--movies=${DEMO_DATASET.movies}`,
      `--base-port=${options.portBase}`,
      `--auth-admin-url=http://127.0.0.1:${options.portBase + 14}`,
    ],
    cwd: REPO_ROOT,
    env: {
      ...passedEnv(options.env),
      OTEL_SERVICE_NAME: 'loadgen',
      OTEL_EXPORTER_OTLP_ENDPOINT: options.collectorOtlpHttp,
      ADMIN_TOKEN: options.adminToken,
    },
    output: relayLine,
    ipc: true,
  });
}
