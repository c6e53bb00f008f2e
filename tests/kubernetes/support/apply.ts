/** Server-side apply of rendered objects through the API's own paths, found by discovery as kubectl does. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { stackFiles } from '@cinemetrics/stack';
import { waitUntil } from '@cinemetrics/testing';
import type { ApiResponse, TestApiServer } from './apiserver.js';
import type { KubernetesObject } from './render.js';

export const FIELD_MANAGER = 'cinemetrics-tests';

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The resource serving `kind` in `apiVersion`, or undefined while the API does not serve it. */
async function discover(api: TestApiServer, apiVersion: string, kind: string): Promise<ApiResource | undefined> {
  const response = await api.call('GET', groupVersionPath(apiVersion));
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`GET ${groupVersionPath(apiVersion)}: ${response.status} ${response.body.message ?? ''}`);
  const resources = (response.body['resources'] ?? []) as ApiResource[];
  // Subresources (deployments/scale) name the kind they take too.
  return resources.find((resource) => resource.kind === kind && !resource.name.includes('/'));
}

/** The object's URL path: its resource, under its namespace when the resource is namespaced. */
export async function objectPath(api: TestApiServer, object: KubernetesObject): Promise<string> {
  const resource = await discover(api, object.apiVersion, object.kind);
  if (resource === undefined) throw new Error(`the API server does not serve ${object.kind} in ${object.apiVersion}`);
  const namespace = resource.namespaced ? `/namespaces/${object.metadata.namespace ?? 'default'}` : '';
  return `${groupVersionPath(object.apiVersion)}${namespace}/${resource.name}/${object.metadata.name}`;
}

export interface ApplyOptions {
  /** `dryRun=All`: every admission step runs, nothing is stored. */
  dryRun: boolean;
}

/**
 * Server-side apply (what `kubectl apply --server-side` sends), with unknown and duplicate fields
 * refused rather than dropped.
 */
export async function serverSideApply(api: TestApiServer, object: KubernetesObject, options: ApplyOptions): Promise<ApiResponse> {
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' });
  if (options.dryRun) query.set('dryRun', 'All');
  // JSON is YAML: the apply content type takes it as it is.
  return api.call('PATCH', `${await objectPath(api, object)}?${query.toString()}`, { body: object, contentType: 'application/apply-patch+yaml' });
}

export function describeObject(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata.namespace === undefined ? '' : `${object.metadata.namespace}/`}${object.metadata.name}`;
}

async function applyForReal(api: TestApiServer, object: KubernetesObject): Promise<void> {
  const response = await serverSideApply(api, object, { dryRun: false });
  if (response.status >= 300) throw new Error(`applying ${describeObject(object)}: ${response.status} ${response.body.message ?? ''}`);
}

interface CustomResourceDefinition extends KubernetesObject {
  spec: KubernetesObject['spec'] & { group: string; names: { kind: string }; versions: { name: string }[] };
}

/** The Prometheus Operator's CRDs (copied by `npm run stack:build`) that define a kind among `objects`. */
export async function operatorCrdsFor(objects: readonly KubernetesObject[]): Promise<CustomResourceDefinition[]> {
  const wanted = new Set(objects.map((object) => `${object.apiVersion}/${object.kind}`));
  const dir = await stackFiles('kubeconform', 'crds');
  const crds: CustomResourceDefinition[] = [];
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort()) {
    for (const document of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
      const crd = document.toJS() as CustomResourceDefinition | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      if (crd.spec.versions.some((version) => wanted.has(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`))) crds.push(crd);
    }
  }
  return crds;
}

/**
 * What a cluster has before the rest of the manifests are applied, made for real: the namespaces
 * (as rendered, or bare when only referenced) and the CRDs of the custom kinds, each served before
 * this returns.
 */
export async function installPrerequisites(api: TestApiServer, objects: readonly KubernetesObject[]): Promise<void> {
  const namespaces = objects.filter((object) => object.kind === 'Namespace');
  const named = new Set(namespaces.map((namespace) => namespace.metadata.name));
  for (const name of new Set(objects.flatMap((object) => object.metadata.namespace ?? []))) {
    if (!named.has(name)) namespaces.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const namespace of namespaces) await applyForReal(api, namespace);
  const crds = await operatorCrdsFor(objects);
  for (const crd of crds) await applyForReal(api, crd);
  for (const crd of crds) {
    const version = crd.spec.versions[0]?.name ?? '';
    await waitUntil(async () => ((await discover(api, `${crd.spec.group}/${version}`, crd.spec.names.kind)) ? true : undefined), {
      what: `${crd.spec.names.kind} served`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }
}
