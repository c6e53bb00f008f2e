import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDefinitions, REPOSITORY_ROOT, type Definitions } from './definitions.js';
import { renderPrometheusRule, renderRuleFile } from './render.js';
import type { GenerateOptions } from './rule-model.js';
import { generateRules } from './rules.js';

export interface GeneratedFile {
  /** Relative to the repository root (or to the output directory when one is given). */
  path: string;
  content: string;
}

/** Where the rules go as a Prometheus Operator PrometheusRule (a kustomize component of deploy/kubernetes). */
export const PROMETHEUS_RULE_PATH = 'deploy/kubernetes/components/prometheus-operator/prometheus-rule.yaml';

/** Every rule file, rendered, and the same rules as a PrometheusRule (the real rules only, never time-scaled ones). */
export function renderRules(definitions: Definitions, options: GenerateOptions = {}): GeneratedFile[] {
  const files = generateRules(definitions, options);
  const rendered = files.map((file) => ({ path: file.path, content: renderRuleFile(file, options) }));
  if ((options.timeScale ?? 1) === 1) rendered.push({ path: PROMETHEUS_RULE_PATH, content: renderPrometheusRule(files) });
  return rendered;
}

/**
 * Writes the rule files under `outDir` (default: the repository, i.e. alerts/*.rules.yml) and
 * returns their absolute paths. A time-scaled variant belongs in a temporary directory.
 */
export async function writeRules(options: GenerateOptions & { outDir?: string; root?: string } = {}): Promise<string[]> {
  const definitions = loadDefinitions(options.root ?? REPOSITORY_ROOT);
  const written: string[] = [];
  for (const file of renderRules(definitions, options)) {
    const target = options.outDir === undefined ? path.join(options.root ?? REPOSITORY_ROOT, file.path) : path.join(options.outDir, path.basename(file.path));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
    written.push(target);
  }
  return written;
}

/** The committed rule files that differ from the generator output (empty when all match). */
export async function staleRuleFiles(root = REPOSITORY_ROOT): Promise<string[]> {
  const stale: string[] = [];
  const rendered = renderRules(loadDefinitions(root));
  for (const file of rendered) {
    const committed = await readFile(path.join(root, file.path), 'utf8').catch(() => undefined);
    if (committed !== file.content) stale.push(file.path);
  }
  // Prometheus loads every alerts/*.rules.yml: one the generator no longer writes must go.
  const generated = new Set(rendered.map((file) => file.path));
  const present = (await readdir(path.join(root, 'alerts'))).filter((name) => name.endsWith('.rules.yml')).map((name) => `alerts/${name}`);
  stale.push(...present.filter((file) => !generated.has(file)));
  return stale;
}
