import path from 'node:path';

export const REPOSITORY_ROOT = path.resolve(__dirname, '../../../..');

export const COMPONENT_NAMES = ['otel-collector', 'jaeger', 'prometheus', 'alertmanager', 'victorialogs', 'compose-check', 'kustomize', 'kubeconform', 'etcd', 'kube-apiserver'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];
/** The backends `npm run stack` runs; the other components are tools the tests check configuration with. */
export const BACKEND_COMPONENT_NAMES = ['otel-collector', 'jaeger', 'prometheus', 'alertmanager', 'victorialogs'] as const satisfies readonly ComponentName[];

/** A file a module's build expects to exist but its published module zip lacks (upstream generates it). */
export interface EmbedPlaceholder {
  /** The upstream module holding the embedding package. */
  module: string;
  /** Path inside that module. */
  file: string;
  content: string;
}

export interface GoBinary {
  /** The executable's file name. */
  name: string;
  /** `.` for the component's own main package, otherwise the import path of a tool the module pins. */
  package: string;
  tags?: readonly string[];
  /** `-X` assignments stamping the release into `--version`. */
  versionStamp?: (release: string) => string[];
  embedPlaceholders?: readonly EmbedPlaceholder[];
}

/**
 * Data files a component needs beside its binaries, copied at build time from a pinned module zip
 * (through the Go module proxy, checked against the checksum database and the hash pinned here), so
 * nothing is fetched when they are used.
 */
export interface ModuleFiles {
  module: string;
  version: string;
  /** The `h1:` hash `go mod download -json` reports; another zip stops the build. */
  sum: string;
  /** A folder inside the module; its files ending in `suffix` are copied (not its subfolders). */
  from: string;
  suffix: string;
  /** The folder under the component's cache directory that receives them. */
  into: string;
}

export interface StackComponent {
  name: ComponentName;
  /** Folder (relative to the repository) with the go.mod and go.sum that pin everything it builds from. */
  moduleDir: string;
  /** The upstream module whose version in go.mod names this component's version. */
  versionModule: string;
  /** Upstream's release name for that module version (Prometheus publishes v3.x as module v0.3xx). */
  release: (moduleVersion: string) => string;
  binaries: readonly GoBinary[];
  files?: readonly ModuleFiles[];
}

const prometheusCommonStamp = (release: string): string[] => [`github.com/prometheus/common/version.Version=${release.replace(/^v/, '')}`];

const ALERTMANAGER_UI_PLACEHOLDER =
  '<!doctype html><title>Alertmanager</title><p>This Alertmanager is built from its Go module, which ships without the web UI. ' +
  'The API is at <a href="api/v2/status">/api/v2/</a>; Grafana and amtool read it.</p>\n';

export const COMPONENTS: readonly StackComponent[] = [
  {
    name: 'otel-collector',
    moduleDir: 'otel-collector/distribution',
    versionModule: 'go.opentelemetry.io/collector/otelcol',
    release: (version) => version,
    binaries: [{ name: 'otelcol-cinemetrics', package: '.', versionStamp: (release) => [`main.version=${release.replace(/^v/, '')}-cinemetrics`] }],
  },
  {
    name: 'jaeger',
    moduleDir: 'jaeger/build',
    versionModule: 'github.com/jaegertracing/jaeger',
    // Jaeger v2 releases were tagged on the same commits as module versions v1.x: v1.75.0 is v2.12.0.
    release: (version) => {
      const [, minor = '0', patch = '0'] = /^v1\.(\d+)\.(\d+)$/.exec(version) ?? [];
      return `v2.${Number(minor) - 63}.${patch}`;
    },
    binaries: [
      { name: 'jaeger', package: 'github.com/jaegertracing/jaeger/cmd/jaeger', versionStamp: (release) => [`github.com/jaegertracing/jaeger/internal/version.latestVersion=${release}`] },
    ],
  },
  {
    name: 'prometheus',
    moduleDir: 'prometheus/build',
    versionModule: 'github.com/prometheus/prometheus',
    // Prometheus 3.x is published as module versions v0.3xx.y: v0.316.0 is v3.16.0.
    release: (version) => {
      const [, minor = '0', patch = '0'] = /^v0\.(\d+)\.(\d+)$/.exec(version) ?? [];
      return `v${Math.floor(Number(minor) / 100)}.${Number(minor) % 100}.${patch}`;
    },
    binaries: [
      // remove_all_sd leaves out the cloud service discoveries (the project uses file and static targets).
      { name: 'prometheus', package: 'github.com/prometheus/prometheus/cmd/prometheus', tags: ['remove_all_sd'], versionStamp: prometheusCommonStamp },
      { name: 'promtool', package: 'github.com/prometheus/prometheus/cmd/promtool', tags: ['remove_all_sd'], versionStamp: prometheusCommonStamp },
    ],
  },
  {
    name: 'alertmanager',
    moduleDir: 'alertmanager/build',
    versionModule: 'github.com/prometheus/alertmanager',
    release: (version) => version,
    binaries: [
      {
        name: 'alertmanager',
        package: 'github.com/prometheus/alertmanager/cmd/alertmanager',
        versionStamp: prometheusCommonStamp,
        // The UI is compiled by upstream's Elm build into ui/app/dist, which the module zip does not carry.
        embedPlaceholders: [{ module: 'github.com/prometheus/alertmanager', file: 'ui/app/dist/index.html', content: ALERTMANAGER_UI_PLACEHOLDER }],
      },
      { name: 'amtool', package: 'github.com/prometheus/alertmanager/cmd/amtool', versionStamp: prometheusCommonStamp },
    ],
  },
  {
    name: 'victorialogs',
    moduleDir: 'victorialogs/build',
    versionModule: 'github.com/VictoriaMetrics/VictoriaLogs',
    release: (version) => version,
    binaries: [{ name: 'victoria-logs', package: 'github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs' }],
  },
  {
    // Not a backend: validates docker-compose.yml with the loader Docker Compose itself uses.
    name: 'compose-check',
    moduleDir: 'compose-check',
    versionModule: 'github.com/compose-spec/compose-go/v2',
    release: (version) => version,
    binaries: [{ name: 'compose-check', package: '.' }],
  },
  {
    // Not a backend: renders deploy/kubernetes (kustomize build) in the tests.
    name: 'kustomize',
    moduleDir: 'deploy/kubernetes/build/kustomize',
    versionModule: 'sigs.k8s.io/kustomize/kustomize/v5',
    release: (version) => version,
    binaries: [{ name: 'kustomize', package: 'sigs.k8s.io/kustomize/kustomize/v5' }],
  },
  {
    // Not a backend: validates the rendered manifests against the OpenAPI schemas of one Kubernetes
    // release and the Prometheus Operator's CRD schemas (tests/kubernetes derives JSON schemas from them).
    name: 'kubeconform',
    moduleDir: 'deploy/kubernetes/build/kubeconform',
    versionModule: 'github.com/yannh/kubeconform',
    release: (version) => version,
    binaries: [{ name: 'kubeconform', package: 'github.com/yannh/kubeconform/cmd/kubeconform' }],
    files: [
      {
        module: 'k8s.io/kubernetes',
        version: 'v1.37.2',
        sum: 'h1:A2VDEiObzkYqFTKhSsn0ZEb0RlLEXpHWj93gi2HqEwE=',
        from: 'api/openapi-spec/v3',
        suffix: '_openapi.json',
        into: 'kubernetes-openapi',
      },
      {
        module: 'github.com/prometheus-operator/prometheus-operator',
        version: 'v0.85.0',
        sum: 'h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s=',
        from: 'example/prometheus-operator-crd',
        suffix: '.yaml',
        into: 'crds',
      },
    ],
  },
  {
    // Not a backend: the storage of the test API server that dry-runs deploy/kubernetes (tests/kubernetes).
    name: 'etcd',
    moduleDir: 'deploy/kubernetes/build/etcd',
    versionModule: 'go.etcd.io/etcd/server/v3',
    release: (version) => version,
    binaries: [{ name: 'etcd', package: 'go.etcd.io/etcd/server/v3' }],
  },
  {
    // Not a backend: a real API server of the Kubernetes release kubeconform's schemas come from, which
    // admits (server-side dry-run) every object deploy/kubernetes renders (tests/kubernetes).
    name: 'kube-apiserver',
    moduleDir: 'deploy/kubernetes/build/kube-apiserver',
    versionModule: 'k8s.io/kubernetes',
    release: (version) => version,
    binaries: [
      {
        name: 'kube-apiserver',
        package: 'k8s.io/kubernetes/cmd/kube-apiserver',
        versionStamp: (release) => {
          const [, major = '0', minor = '0'] = /^v(\d+)\.(\d+)\./.exec(release) ?? [];
          return [`k8s.io/component-base/version.gitVersion=${release}`, `k8s.io/component-base/version.gitMajor=${major}`, `k8s.io/component-base/version.gitMinor=${minor}`];
        },
      },
    ],
  },
];

export function component(name: ComponentName): StackComponent {
  const found = COMPONENTS.find((c) => c.name === name);
  if (!found) throw new Error(`unknown stack component ${name}`);
  return found;
}
