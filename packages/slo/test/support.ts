import { spawn } from 'node:child_process';
import path from 'node:path';
import { alertmanagerConfigWithWebhooks } from '@cinemetrics/testing';
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

/** alertmanager/alertmanager.yml with its webhooks pointed at the test's receiver and grouping delays of one second. */
export function alertmanagerTestConfig(webhookBaseUrl: string): Promise<Record<string, unknown>> {
  return alertmanagerConfigWithWebhooks(webhookBaseUrl, { shortGrouping: true });
}
