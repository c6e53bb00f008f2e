/**
 * `npm run dashboards`: writes the generated dashboards to grafana/dashboards/.
 * `npm run dashboards -- --check`: writes nothing, exits 1 when a committed file differs (CI).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDefinitions, REPOSITORY_ROOT } from '@cinemetrics/slo';
import { generateDashboards } from './index.js';

export const DASHBOARDS_DIR = path.join(REPOSITORY_ROOT, 'grafana', 'dashboards');

/** File names whose committed content differs from the generated one (missing or stale files included). */
export function staleDashboards(dir = DASHBOARDS_DIR): string[] {
  const generated = generateDashboards(loadDefinitions());
  const names = new Set(generated.map((dashboard) => dashboard.file));
  const stale = generated.filter((dashboard) => !existsSync(path.join(dir, dashboard.file)) || readFileSync(path.join(dir, dashboard.file), 'utf8') !== dashboard.json).map((d) => d.file);
  const extra = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.json') && !names.has(file)) : [];
  return [...stale, ...extra];
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const stale = staleDashboards();
    if (stale.length === 0) return 0;
    process.stderr.write(`dashboards: ${stale.join(', ')} differ from what grafana/src generates: run npm run dashboards\n`);
    return 1;
  }
  for (const dashboard of generateDashboards(loadDefinitions())) {
    writeFileSync(path.join(DASHBOARDS_DIR, dashboard.file), dashboard.json);
    process.stdout.write(`wrote grafana/dashboards/${dashboard.file}\n`);
  }
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
