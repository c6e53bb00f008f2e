import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPOSITORY_ROOT } from './components.js';

type Json = Record<string, unknown>;

/**
 * alertmanager/alertmanager.yml with every webhook pointed at `webhookBaseUrl` (path /page, /ticket or
 * /heartbeat kept): the same routes, receivers and inhibition rules, with notifications delivered to a
 * receiver on this machine instead of the placeholders. With `shortGrouping`, the grouping delays are
 * shortened from seconds and minutes to one second (tests).
 */
export async function alertmanagerConfigWithWebhooks(webhookBaseUrl: string, options: { shortGrouping?: boolean } = {}): Promise<Json> {
  const config = parse(await readFile(path.join(REPOSITORY_ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8')) as Json;
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
  if (options.shortGrouping === true) shorten(config['route'] as Json);
  return config;
}

/** alertmanagerConfigWithWebhooks, written to `dir`/alertmanager.yml for Alertmanager's --config.file; returns the file's path. */
export async function writeAlertmanagerConfigWithWebhooks(webhookBaseUrl: string, dir: string): Promise<string> {
  const file = path.join(dir, 'alertmanager.yml');
  await writeFile(file, stringify(await alertmanagerConfigWithWebhooks(webhookBaseUrl)));
  return file;
}
