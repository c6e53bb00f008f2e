/**
 * JSON schemas for kubeconform, derived from the OpenAPI v3 documents of a pinned Kubernetes release
 * and from the Prometheus Operator's CRDs (both copied into the kubeconform component's cache folder by
 * `npm run stack:build`). Strict like the API server's field validation: an object schema that lists its
 * properties rejects any other (`additionalProperties: false`), unless it preserves unknown fields.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;
interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The file name kubeconform looks for with the template `{{ .ResourceKind }}{{ .KindSuffix }}.json`. */
export function schemaFileName({ group, version, kind }: GroupVersionKind): string {
  const groupPrefix = group === '' ? '' : `-${group.split('.')[0]}`;
  return `${kind.toLowerCase()}${groupPrefix}-${version}.json`;
}

export const SCHEMA_LOCATION_TEMPLATE = '{{ .ResourceKind }}{{ .KindSuffix }}.json';

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy in which every closed object schema refuses unknown properties. */
function strict(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strict);
  if (!isSchema(value)) return value;
  const copy: Schema = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, strict(child)]));
  const closed = isSchema(copy['properties']) && copy['additionalProperties'] === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true;
  if (closed) copy['additionalProperties'] = false;
  return copy;
}

const REFERENCE_PREFIX = '#/components/schemas/';

/** The names of the schemas `root` refers to, directly or through others. */
function referencedSchemas(root: Schema, schemas: Record<string, Schema>): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isSchema(value)) return;
    const reference = value['$ref'];
    if (typeof reference === 'string' && reference.startsWith(REFERENCE_PREFIX)) {
      const name = reference.slice(REFERENCE_PREFIX.length);
      if (!found.has(name) && schemas[name]) {
        found.add(name);
        visit(schemas[name]);
      }
    }
    Object.values(value).forEach(visit);
  };
  visit(root);
  return found;
}

/**
 * One file per kind: the kind's schema at the root, with the schemas it refers to beside it so its
 * `#/components/schemas/…` references resolve inside the file.
 */
async function writeKubernetesSchemas(openapiDir: string, outDir: string): Promise<number> {
  let written = 0;
  for (const file of (await readdir(openapiDir)).filter((name) => name.endsWith('.json'))) {
    const document = JSON.parse(await readFile(path.join(openapiDir, file), 'utf8')) as { components?: { schemas?: Record<string, Schema> } };
    const schemas = document.components?.schemas ?? {};
    for (const schema of Object.values(schemas)) {
      const kinds = (schema['x-kubernetes-group-version-kind'] ?? []) as GroupVersionKind[];
      if (kinds.length === 0) continue;
      const referenced = [...referencedSchemas(schema, schemas)].map((name) => [name, strict(schemas[name])] as const);
      const content = JSON.stringify({ ...(strict(schema) as Schema), components: { schemas: Object.fromEntries(referenced) } });
      for (const gvk of kinds) {
        await writeFile(path.join(outDir, schemaFileName(gvk)), content);
        written += 1;
      }
    }
  }
  return written;
}

interface CustomResourceDefinition {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema?: Schema } }[] };
}

async function writeCrdSchemas(crdDir: string, outDir: string): Promise<number> {
  let written = 0;
  for (const file of (await readdir(crdDir)).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(await readFile(path.join(crdDir, file), 'utf8'))) {
      const crd = document.toJS() as CustomResourceDefinition | null;
      if (!crd?.spec?.versions) continue;
      for (const version of crd.spec.versions) {
        if (!version.schema?.openAPIV3Schema) continue;
        const gvk = { group: crd.spec.group, version: version.name, kind: crd.spec.names.kind };
        await writeFile(path.join(outDir, schemaFileName(gvk)), JSON.stringify(strict(version.schema.openAPIV3Schema)));
        written += 1;
      }
    }
  }
  return written;
}

/** Writes every schema into `outDir` and says how many of each. */
export async function writeSchemas(sources: { openapiDir: string; crdDir: string }, outDir: string): Promise<{ kubernetes: number; crds: number }> {
  return { kubernetes: await writeKubernetesSchemas(sources.openapiDir, outDir), crds: await writeCrdSchemas(sources.crdDir, outDir) };
}
