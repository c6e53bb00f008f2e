import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from '@cinemetrics/stack';

export interface Target {
  refId?: string;
  expr?: string;
  queryType?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; links?: { url: string }[] } };
  links?: { url?: string }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  links: { type: string; url?: string; tags?: string[] }[];
  templating: { list: { name: string; datasource?: { uid?: string } }[] };
}

export const DASHBOARDS_DIR = path.join(REPOSITORY_ROOT, 'grafana', 'dashboards');

/** The committed dashboards, by file name. */
export function committedDashboards(): Map<string, Dashboard> {
  const files = readdirSync(DASHBOARDS_DIR).filter((file) => file.endsWith('.json'));
  return new Map(files.map((file) => [file, JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard]));
}

/** The provisioned data sources (uid → type). */
export function provisionedDatasources(): Map<string, string> {
  const file = path.join(REPOSITORY_ROOT, 'grafana', 'provisioning', 'datasources', 'datasources.yaml');
  const config = parse(readFileSync(file, 'utf8')) as { datasources: { uid: string; type: string; jsonData?: Record<string, unknown> }[] };
  return new Map(config.datasources.map((source) => [source.uid, source.type]));
}
