import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from '../src/index.js';

export const ROOT = REPOSITORY_ROOT;
export const repoPath = (...parts: string[]): string => path.join(ROOT, ...parts);

export interface CommandResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion and returns its exit code with stdout and stderr interleaved. */
export function run(command: string, args: string[], cwd = ROOT): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`${command} not found: build it with npm run stack:build`) : error),
    );
    child.on('close', (code) => resolve({ code, output }));
  });
}

type Json = Record<string, unknown>;

/**
 * alertmanager/alertmanager.yml as the tests run it: the same routes, receivers and inhibition
 * rules, with every webhook pointed at the test's receiver (path /page or /ticket kept) and the
 * grouping delays shortened from seconds and minutes to one second.
 */
export async function alertmanagerTestConfig(webhookBaseUrl: string): Promise<Json> {
  const config = parse(await readFile(repoPath('alertmanager', 'alertmanager.yml'), 'utf8')) as Json;
  const base = webhookBaseUrl.replace(/\/$/, '');
  for (const receiver of config['receivers'] as Json[]) {
    for (const webhook of (receiver['webhook_configs'] as Json[] | undefined) ?? []) {
      webhook['url'] = `${base}${new URL(webhook['url'] as string).pathname}`;
    }
  }
  const shorten = (route: Json): void => {
    for (const key of ['group_wait', 'group_interval']) if (route[key] !== undefined || route === config['route']) route[key] = '1s';
    for (const child of (route['routes'] as Json[] | undefined) ?? []) shorten(child);
  };
  shorten(config['route'] as Json);
  return config;
}
