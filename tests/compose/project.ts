import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT, stackBinary } from '@cinemetrics/stack';

const run = promisify(execFile);

export const COMPOSE_FILE = path.join(REPOSITORY_ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | null;
  environment?: Record<string, string | null>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  ports?: { host_ip?: string; target: number; published?: string }[];
  mem_limit?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  secrets?: { source: string; target: string }[];
  profiles?: string[];
  stop_grace_period?: string;
}

export interface ComposeProject {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

/**
 * Loads a compose file with compose-check (compose-go, the loader of Docker Compose itself): schema,
 * interpolation from `variables` only, profiles, consistency. Rejects with its message when invalid.
 */
export async function loadCompose(file: string, variables: Record<string, string>, profiles: string[] = []): Promise<ComposeProject> {
  const envFile = path.join(os.tmpdir(), `compose-env-${process.pid}-${Date.now()}`);
  await writeFile(envFile, Object.entries(variables).map(([key, value]) => `${key}=${value}\n`).join(''));
  const binary = await stackBinary('compose-check', 'compose-check');
  const args = ['-env-file', envFile, ...profiles.flatMap((profile) => ['-profile', profile]), file];
  const { stdout } = await run(binary, args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as ComposeProject;
}

/** hadolint from the environment (HADOLINT), the PATH, or where scripts/system-deps.sh installs it. */
export function findHadolint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cache = env['CINEMETRICS_TOOLS'] ?? path.join(env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'cinemetrics', 'tools');
  const candidates = [env['HADOLINT'], path.join(cache, 'hadolint-2.15.1', 'bin', 'hadolint'), ...(env['PATH'] ?? '').split(':').map((dir) => path.join(dir, 'hadolint'))];
  return candidates.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));
}

/** `${env:NAME:-default}` defaults of a collector or Jaeger configuration file, by variable name. */
export function envDefaults(configText: string): Map<string, string> {
  return new Map([...configText.matchAll(/\$\{env:(\w+):-([^}]*)\}/g)].map((match) => [match[1]!, match[2]!]));
}
