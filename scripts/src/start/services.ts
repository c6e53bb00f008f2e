import { existsSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_NODE_FLAGS } from '@cinemetrics/kit/node-flags';
import { StartError } from './config.js';
import { identityEnv, type IdentityPlan } from '../identity/plan.js';
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

/** auth's public and admin addresses on loopback. */
export function localAuth(all: ServicePorts[]): { url: string; adminUrl: string } {
  const auth = all.find((s) => s.name === 'auth');
  return { url: localUrl(all, 'auth'), adminUrl: `http://127.0.0.1:${auth?.adminPort ?? 0}` };
}

/**
 * Variables handed to every service when set; see PASSED_PREFIXES for the families passed by prefix.
 * ADMIN_TOKEN and the credentials (AUTH_CLIENT_SECRET, AUTH_CLIENTS, AUTH_ADMIN_*) are not among them:
 * the identity plan decides which service gets which (identityEnv).
 */
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
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'ACCESS_TOKEN_TTL_SECONDS',
  'AUTH_SIGNING_KEY_FILE',
  'AUTH_SCRYPT_N',
  'AUTH_HASH_CONCURRENCY',
];

/** Families of kit settings (timeouts, rate limits, downstream policies, caches) passed by prefix. */
const PASSED_PREFIXES = ['OTEL_', 'HTTP_', 'RATE_LIMIT_', 'DOWNSTREAM_', 'METADATA_', 'RATING_', 'SIGNIN_'];

/** movie's credentials for its downstreams (`<NAME>_AUTH` settings): only movie calls them, so only movie gets them. */
const DOWNSTREAM_CREDENTIAL = /^(METADATA|RATING)_(API_KEY|PASSWORD|CLIENT_SECRET)$/;

/** The part of `env` a child process of the start script gets. */
export function passedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || DOWNSTREAM_CREDENTIAL.test(key)) continue;
    if (PASSED_THROUGH.includes(key) || PASSED_PREFIXES.some((prefix) => key.startsWith(prefix))) result[key] = value;
  }
  return result;
}

function downstreamCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && DOWNSTREAM_CREDENTIAL.test(entry[0])));
}

export function serviceEnv(service: ServicePorts, all: ServicePorts[], env: NodeJS.ProcessEnv, identity: IdentityPlan): Record<string, string> {
  return {
    ...passedEnv(env),
    ...(service.name === 'movie' ? downstreamCredentials(env) : {}),
    ...identityEnv(service.name, identity),
    PORT: String(service.port),
    ADMIN_PORT: String(service.adminPort),
    OTEL_SERVICE_NAME: service.name,
    METADATA_URL: localUrl(all, 'metadata'),
    RATING_URL: localUrl(all, 'rating'),
    AUTH_URL: localUrl(all, 'auth'),
  };
}

/** The telemetry preload, which every service starts with (`node --require … main.js`), as in production. */
export function telemetryPreload(): string {
  try {
    return require.resolve('@cinemetrics/telemetry/register');
  } catch {
    return path.join(REPO_ROOT, 'packages', 'telemetry', 'dist', 'src', 'register.js');
  }
}

function mainOf(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'src', 'main.js');
}

/** How each service is run: this script's Node with the services' Node options, the telemetry preload and the service's compiled main. */
export function serviceSpecs(all: ServicePorts[], env: NodeJS.ProcessEnv, identity: IdentityPlan): ProcessSpec[] {
  return all.map((ports) => ({
    name: ports.name,
    command: process.execPath,
    args: [...SERVICE_NODE_FLAGS, '--require', telemetryPreload(), mainOf(ports.name)],
    cwd: REPO_ROOT,
    env: serviceEnv(ports, all, env, identity),
  }));
}

export function assertBuilt(): void {
  const missing = [telemetryPreload(), ...SERVICE_NAMES.map(mainOf)].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new StartError(`Compiled files are missing: ${missing.map((f) => path.relative(REPO_ROOT, f)).join(', ')}. Build first: npm run build`);
  }
}
