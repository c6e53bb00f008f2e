/** Renders deploy/kubernetes overlays with the pinned kustomize and validates them with kubeconform. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPOSITORY_ROOT, runCommand, stackBinary, stackFiles } from '@cinemetrics/stack';
import { SCHEMA_LOCATION_TEMPLATE, writeSchemas } from './schemas.js';

export const OVERLAYS = ['local', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}

export interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean };
  };
}

/** The fields of the rendered objects these tests read; everything else stays `unknown`. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    minReplicas?: number;
    selector?: { matchLabels?: Record<string, string> } | Record<string, string>;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    template?: PodTemplate;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    scaleTargetRef?: { kind: string; name: string };
    podSelector?: { matchLabels?: Record<string, string> };
    ingress?: { from?: unknown[]; ports?: { port: string | number }[] }[];
    endpoints?: { port: string; path?: string }[];
    podMetricsEndpoints?: { port: string; path?: string }[];
    groups?: unknown[];
  };
}

export interface Rendered {
  overlay: Overlay;
  /** The YAML kustomize printed. */
  text: string;
  objects: KubernetesObject[];
}

export async function renderOverlay(overlay: Overlay): Promise<Rendered> {
  const kustomize = await stackBinary('kustomize', 'kustomize');
  const directory = path.join(REPOSITORY_ROOT, 'deploy', 'kubernetes', 'overlays', overlay);
  // The overlays reuse the configuration files of compose and the native stack, outside deploy/.
  const { code, text } = await runCommand(kustomize, ['build', '--load-restrictor', 'LoadRestrictionsNone', directory], REPOSITORY_ROOT);
  if (code !== 0) throw new Error(`kustomize build ${overlay} failed (exit ${code}):\n${text}`);
  const objects = parseAllDocuments(text).map((document) => document.toJS() as KubernetesObject);
  return { overlay, text, objects };
}

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
}

export interface Validation {
  summary: KubeconformSummary;
  /** kubeconform's own report: one entry per object that is not valid. */
  problems: { filename: string; kind: string; name: string; status: string; msg: string }[];
  output: string;
}

/** A folder of JSON schemas for kubeconform, made once per test file from the pinned sources. */
export async function prepareSchemas(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cinemetrics-k8s-schemas-'));
  await writeSchemas({ openapiDir: await stackFiles('kubeconform', 'kubernetes-openapi'), crdDir: await stackFiles('kubeconform', 'crds') }, dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Validates rendered YAML strictly (unknown fields and duplicate keys are errors, a kind without a schema too). */
export async function validate(rendered: string, schemaDir: string): Promise<Validation> {
  const kubeconform = await stackBinary('kubeconform', 'kubeconform');
  const file = path.join(schemaDir, `rendered-${process.pid}-${Date.now()}.yaml`);
  await writeFile(file, rendered);
  try {
    const location = path.join(schemaDir, SCHEMA_LOCATION_TEMPLATE);
    const { text } = await runCommand(kubeconform, ['-strict', '-summary', '-output', 'json', '-schema-location', location, file], schemaDir);
    const report = JSON.parse(text) as { resources?: Validation['problems']; summary: KubeconformSummary };
    return { summary: report.summary, problems: report.resources ?? [], output: text };
  } finally {
    await rm(file, { force: true });
  }
}
