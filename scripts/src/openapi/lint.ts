import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type CommandOutput } from '@cinemetrics/stack';
import { REPOSITORY_ROOT, getJson, startService, type ServiceName, type StartedService } from '@cinemetrics/testing';

/**
 * Where the served documents are written: a fixed place, because the reviewed exceptions in
 * `.redocly.lint-ignore.yaml` name each document by its path relative to the repository root.
 */
export const SERVED_DOCUMENTS_DIRECTORY = path.join(REPOSITORY_ROOT, '.tmp', 'openapi');

const REDOCLY_CONFIG = path.join(REPOSITORY_ROOT, 'redocly.yaml');

function redoclyBin(): string {
  return path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
}

/**
 * Starts the four compiled services in memory on free loopback ports, writes the document each one
 * serves at `GET /openapi.json` to `<directory>/<service>.json` and stops them; returns the files.
 */
export async function writeServedDocuments(directory: string = SERVED_DOCUMENTS_DIRECTORY): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const started: StartedService[] = [];
  const start = async (service: ServiceName, env: Record<string, string> = {}): Promise<StartedService> => {
    const running = await startService(service, { env: { LOG_LEVEL: 'warn', MYSQL_URL: undefined, ...env }, waitReady: false });
    started.push(running);
    return running;
  };
  try {
    const [metadata, rating, auth] = await Promise.all([start('metadata'), start('rating'), start('auth')]);
    await start('movie', { METADATA_URL: metadata.url, RATING_URL: rating.url, AUTH_URL: auth.url });
    return await Promise.all(
      started.map(async ({ service, url }) => {
        const file = path.join(directory, `${service}.json`);
        await writeFile(file, `${JSON.stringify(await getJson(service, `${url}/openapi.json`), null, 2)}\n`);
        return file;
      }),
    );
  } finally {
    await Promise.all(started.map((service) => service.stop()));
  }
}

/** Lints the documents with the repository's `redocly.yaml`; a non-zero code means at least one problem. */
export function lintDocuments(files: readonly string[]): Promise<CommandOutput> {
  return runCommand(process.execPath, [redoclyBin(), 'lint', '--config', REDOCLY_CONFIG, ...files], REPOSITORY_ROOT, { NO_COLOR: '1' });
}
