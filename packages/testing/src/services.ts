import path from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type RunningProcess } from './service-process.js';

export type ServiceName = 'metadata' | 'rating' | 'movie' | 'auth';

/** The repository's root, found from this compiled file (packages/testing/dist/src). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '../../../..');

/** The telemetry preload every service starts with, as in production. */
export const TELEMETRY_PRELOAD = path.join(REPOSITORY_ROOT, 'packages', 'telemetry', 'dist', 'src', 'register.js');

export function serviceMain(name: ServiceName): string {
  return path.join(REPOSITORY_ROOT, 'services', name, 'dist', 'src', 'main.js');
}

export interface StartedService extends RunningProcess {
  service: ServiceName;
  port: number;
  adminPort: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  adminUrl: string;
}

export interface StartServiceOptions {
  /** Extra environment; PORT and ADMIN_PORT are chosen free unless given. */
  env?: Record<string, string | undefined>;
  /** Wait for readiness (`/.well-known/health` 200) rather than liveness; default true. */
  waitReady?: boolean;
}

/** Starts one compiled service as a real process on free loopback ports and waits until it serves. */
export async function startService(service: ServiceName, options: StartServiceOptions = {}): Promise<StartedService> {
  const port = options.env?.['PORT'] ? Number(options.env['PORT']) : await freePort();
  const adminPort = options.env?.['ADMIN_PORT'] ? Number(options.env['ADMIN_PORT']) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const running = await startProcess({
    name: service,
    args: ['--require', TELEMETRY_PRELOAD, serviceMain(service)],
    env: { LOG_LEVEL: 'info', ...options.env, PORT: String(port), ADMIN_PORT: String(adminPort) },
    readyUrl: `${url}${options.waitReady === false ? '/.well-known/alive' : '/.well-known/health'}`,
  });
  return Object.assign(running, { service, port, adminPort, url, adminUrl: `http://127.0.0.1:${adminPort}` });
}
