import { existsSync } from 'node:fs';
import path from 'node:path';
import { StartError } from './config.js';
import type { ProcessSpec } from './supervisor.js';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export const SERVICE_NAMES = ['metadata', 'rating', 'movie', 'auth'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServicePorts {
  name: ServiceName;
  port: number;
  adminPort: number;
}

/** metadata, rating, movie, auth on base+1..base+4, their admin listeners on base+11..base+14. */
export function servicePorts(base: number): ServicePorts[] {
  return SERVICE_NAMES.map((name, i) => ({ name, port: base + 1 + i, adminPort: base + 11 + i }));
}

export function portOf(all: ServicePorts[], name: ServiceName): number {
  return all.find((s) => s.name === name)?.port ?? 0;
}

export function localUrl(all: ServicePorts[], name: ServiceName): string {
  return `http://127.0.0.1:${portOf(all, name)}`;
}

/** Variables handed to every service when set; see PASSED_PREFIXES for the families passed by prefix. */
const PASSED_THROUGH = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'MYSQL_URL',
  'MYSQL_POOL_SIZE',
  'LOG_LEVEL',
  'ADMIN_TOKEN',
  'ADMIN_HOST',
  'DEPLOYMENT_ENVIRONMENT',
  'LOG_FORMAT',
  'SHUTDOWN_TIMEOUT_MS',
  'REQUEST_DEADLINE_MS',
  'REQUEST_DEADLINE_FLOOR_MS',
  'MAX_IN_FLIGHT',
  'EVENT_LOOP_DELAY_LIMIT_MS',
  'FAULTS',
  'CPU_PROFILE_INTERVAL_US',
  'HEAP_PROFILE_INTERVAL_BYTES',
  'HEAP_SNAPSHOT_ENABLED',
];

/** Families of kit settings (timeouts, rate limits, downstream policies, caches) passed by prefix. */
const PASSED_PREFIXES = ['OTEL_', 'HTTP_', 'RATE_LIMIT_', 'DOWNSTREAM_', 'METADATA_', 'RATING_'];

/** The part of `env` a child process of the start script gets. */
export function passedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && (PASSED_THROUGH.includes(key) || PASSED_PREFIXES.some((prefix) => key.startsWith(prefix)))) result[key] = value;
  }
  return result;
}

export function serviceEnv(service: ServicePorts, all: ServicePorts[], env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    ...passedEnv(env),
    PORT: String(service.port),
    ADMIN_PORT: String(service.adminPort),
    OTEL_SERVICE_NAME: service.name,
    METADATA_URL: localUrl(all, 'metadata'),
    RATING_URL: localUrl(all, 'rating'),
    AUTH_URL: localUrl(all, 'auth'),
  };
}

/** The kit's telemetry preload, which every service starts with (`node --require … main.js`), as in production. */
export function telemetryPreload(): string {
  try {
    return require.resolve('@cinemetrics/kit/register');
  } catch {
    return path.join(REPO_ROOT, 'packages', 'kit', 'dist', 'src', 'telemetry', 'register.js');
  }
}

function mainOf(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'src', 'main.js');
}

/** How each service is run: this script's Node with the telemetry preload and the service's compiled main. */
export function serviceSpecs(all: ServicePorts[], env: NodeJS.ProcessEnv): ProcessSpec[] {
  return all.map((ports) => ({
    name: ports.name,
    command: process.execPath,
    args: ['--require', telemetryPreload(), mainOf(ports.name)],
    cwd: REPO_ROOT,
    env: serviceEnv(ports, all, env),
  }));
}

export function assertBuilt(): void {
  const missing = [telemetryPreload(), ...SERVICE_NAMES.map(mainOf)].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new StartError(`Compiled files are missing: ${missing.map((f) => path.relative(REPO_ROOT, f)).join(', ')}. Build first: npm run build`);
  }
}
