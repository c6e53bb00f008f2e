/**
 * deploy/kubernetes as rendered by the pinned kustomize: every object valid against the OpenAPI
 * schemas of a pinned Kubernetes release (and the Prometheus Operator's CRDs), and everything the
 * services' configuration decides (ports, probe paths, variable names and values, label selectors,
 * the drain deadline, the generated rules) agreeing with the manifests.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig, serviceEnvWithDefaults, SHUTDOWN_OVERRUN_MS } from '@cinemetrics/kit';
import { loadDefinitions, PROMETHEUS_RULE_PATH, renderRules } from '@cinemetrics/slo';
import { REPOSITORY_ROOT } from '@cinemetrics/stack';
import { startService, type StartedService } from '@cinemetrics/testing';
import { authEnvSchema } from '@cinemetrics/auth/dist/src/config.js';
import { movieEnvSchema } from '@cinemetrics/movie/dist/src/config.js';
import { OVERLAYS, prepareSchemas, renderOverlay, validate, type Container, type KubernetesObject, type Rendered } from './support/render.js';

const SERVICES = ['metadata', 'rating', 'movie', 'auth'] as const;
type ServiceName = (typeof SERVICES)[number];

/** Credentials reach the services only through Secret references; these stand in for their values. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  MYSQL_URL: 'mysql://service:placeholder-password@mysql.example:3306',
  ADMIN_TOKEN: 'placeholder-admin-token-0123456789',
  AUTH_CLIENT_SECRET: 'placeholder-client-secret-0123456789',
  AUTH_ADMIN_PASSWORD: 'placeholder-admin-password',
  AUTH_CLIENTS: JSON.stringify([{ clientId: 'movie', secret: 'placeholder-client-secret-0123456789', roles: ['service'] }]),
};

/** Read by the OpenTelemetry SDK the kit starts, not by the kit's schema. */
const OTEL_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'];

/** The ports a service listens on when nothing overrides them, from its main.ts (`defaultPorts`). */
async function defaultPorts(service: ServiceName): Promise<{ PORT: number; ADMIN_PORT: number }> {
  const main = await readFile(path.join(REPOSITORY_ROOT, 'services', service, 'src', 'main.ts'), 'utf8');
  const match = /defaultPorts:\s*\{\s*PORT:\s*(\d+),\s*ADMIN_PORT:\s*(\d+)\s*\}/.exec(main);
  assert.ok(match?.[1] && match[2], `services/${service}/src/main.ts names its defaultPorts`);
  return { PORT: Number(match[1]), ADMIN_PORT: Number(match[2]) };
}

async function envSchema(service: ServiceName) {
  if (service === 'auth') return authEnvSchema;
  if (service === 'movie') return movieEnvSchema;
  return serviceEnvWithDefaults(await defaultPorts(service));
}

function find(objects: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind}/${name} is rendered`);
  return found;
}

function only<T>(items: readonly T[] | undefined, what: string): T {
  assert.equal(items?.length, 1, `${what}: exactly one`);
  return items[0] as T;
}

function serviceContainer(objects: readonly KubernetesObject[], service: ServiceName): Container {
  return only(find(objects, 'Deployment', service).spec?.template?.spec.containers, `${service}'s containers`);
}

/** The environment a container starts with: its ConfigMaps, its own values, and placeholders for Secrets. */
function containerEnv(objects: readonly KubernetesObject[], container: Container): { env: Record<string, string>; fromSecrets: string[] } {
  const env: Record<string, string> = {};
  const fromSecrets: string[] = [];
  for (const source of container.envFrom ?? []) {
    assert.ok(source.configMapRef, `${container.name}: envFrom names ConfigMaps only (credentials come one by one from Secrets)`);
    Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) {
      const placeholder = SECRET_PLACEHOLDERS[variable.name];
      assert.ok(placeholder !== undefined, `${container.name}: ${variable.name} comes from a Secret but is not a credential the services read`);
      env[variable.name] = placeholder;
      fromSecrets.push(variable.name);
    } else assert.fail(`${container.name}: ${variable.name} has neither a value nor a Secret reference`);
  }
  return { env, fromSecrets };
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  assert.ok(selector && Object.keys(selector).length > 0, 'a selector names labels');
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function podTemplates(objects: readonly KubernetesObject[]): { owner: string; labels: Record<string, string> | undefined }[] {
  return objects
    .filter((object) => object.spec?.template !== undefined)
    .map((object) => ({ owner: `${object.kind}/${object.metadata.name}`, labels: object.spec?.template?.metadata.labels }));
}

const rendered = new Map<string, Rendered>();
let schemas: { dir: string; remove: () => Promise<void> };

before(async () => {
  schemas = await prepareSchemas();
  for (const overlay of OVERLAYS) rendered.set(overlay, await renderOverlay(overlay));
});
after(() => schemas?.remove());

function objectsOf(overlay: string): KubernetesObject[] {
  const result = rendered.get(overlay);
  assert.ok(result, `${overlay} rendered`);
  return result.objects;
}

for (const overlay of OVERLAYS) {
  describe(`overlay ${overlay}`, () => {
    test('every object is valid for Kubernetes v1.37 and the Prometheus Operator CRDs (kubeconform, strict), none skipped', async () => {
      const result = rendered.get(overlay);
      assert.ok(result);
      const validation = await validate(result.text, schemas.dir);
      assert.deepEqual(validation.problems.map((problem) => `${problem.kind}/${problem.name}: ${problem.status} ${problem.msg}`), []);
      assert.deepEqual(validation.summary, { valid: result.objects.length, invalid: 0, errors: 0, skipped: 0 });
    });

    test("each service's variables are ones its configuration reads, and it accepts their values", async () => {
      const objects = objectsOf(overlay);
      for (const service of SERVICES) {
        const schema = await envSchema(service);
        const { env, fromSecrets } = containerEnv(objects, serviceContainer(objects, service));
        const known = new Set([...Object.keys(schema.shape), ...OTEL_VARIABLES]);
        assert.deepEqual(Object.keys(env).filter((name) => !known.has(name)), [], `${service}: variables no configuration reads`);
        assert.doesNotThrow(() => loadConfig(schema, env), `${service}: its configuration accepts the manifests' values`);
        assert.ok(fromSecrets.includes('ADMIN_TOKEN'), `${service}: ADMIN_TOKEN from a Secret`);
        if (service !== 'movie') assert.ok(fromSecrets.includes('MYSQL_URL'), `${service}: MYSQL_URL from a Secret`);
      }
      // No credential sits in a ConfigMap.
      for (const configMap of objects.filter((object) => object.kind === 'ConfigMap')) {
        const credentials = Object.keys(configMap.data ?? {}).filter((key) => key in SECRET_PLACEHOLDERS);
        assert.deepEqual(credentials, [], `ConfigMap/${configMap.metadata.name} holds no credentials`);
      }
    });

    test("ports: the containers, Services and scrape annotations use each service's PORT and ADMIN_PORT", async () => {
      const objects = objectsOf(overlay);
      for (const service of SERVICES) {
        const container = serviceContainer(objects, service);
        const { env } = containerEnv(objects, container);
        const config = loadConfig(await envSchema(service), env);
        assert.deepEqual({ PORT: config.PORT, ADMIN_PORT: config.ADMIN_PORT }, await defaultPorts(service), `${service}: the ports of the design`);
        const ports: Record<string, number> = Object.fromEntries((container.ports ?? []).map((port) => [port.name ?? '', port.containerPort]));
        assert.deepEqual(ports, { http: config.PORT, admin: config.ADMIN_PORT }, `${service}: container ports`);
        const serviceObject = find(objects, 'Service', service);
        assert.deepEqual(
          serviceObject.spec?.ports?.map((port) => [port.name, port.port, port.targetPort]),
          [
            ['http', config.PORT, 'http'],
            ['admin', config.ADMIN_PORT, 'admin'],
          ],
          `${service}: Service ports`,
        );
        const annotations = find(objects, 'Deployment', service).spec?.template?.metadata.annotations ?? {};
        assert.deepEqual(
          [annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']],
          ['true', String(config.ADMIN_PORT), '/metrics'],
          `${service}: scrape annotations`,
        );
        assert.equal(config.ADMIN_HOST, '0.0.0.0', `${service}: the admin listener is reachable by the scrapers`);
      }
    });

    test('rollout and shutdown: probes on the API port, no unavailable pod during a rollout, a grace period longer than the preStop pause plus the drain', async () => {
      const objects = objectsOf(overlay);
      for (const service of SERVICES) {
        const deployment = find(objects, 'Deployment', service);
        const container = serviceContainer(objects, service);
        const config = loadConfig(await envSchema(service), containerEnv(objects, container).env);
        assert.deepEqual(
          [container.startupProbe?.httpGet, container.readinessProbe?.httpGet, container.livenessProbe?.httpGet],
          [
            { path: '/.well-known/alive', port: 'http' },
            { path: '/.well-known/health', port: 'http' },
            { path: '/.well-known/alive', port: 'http' },
          ],
          `${service}: probes`,
        );
        assert.equal(deployment.spec?.strategy?.type, 'RollingUpdate');
        assert.equal(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, 0, `${service}: maxUnavailable`);
        const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds;
        assert.ok(preStopSeconds !== undefined && preStopSeconds > 0, `${service}: a preStop pause`);
        const grace = deployment.spec?.template?.spec.terminationGracePeriodSeconds ?? 30;
        // The drain and the telemetry flush share SHUTDOWN_TIMEOUT_MS, but the flush and the log worker's
        // end may run past it (docs/architecture.md, shutdown).
        assert.ok(grace * 1000 > preStopSeconds * 1000 + config.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_OVERRUN_MS, `${service}: grace ${grace} s > ${preStopSeconds} s + SHUTDOWN_TIMEOUT_MS + the last flush`);
        assert.equal(deployment.spec?.template?.spec.securityContext?.runAsNonRoot, true, `${service}: non-root`);
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${service}: read-only root filesystem`);
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${service}: no privilege escalation`);
      }
    });

    test('every Secret the objects reference is made by deploy/kubernetes/secrets.sh or by the overlay, with the keys they read', async () => {
      const objects = objectsOf(overlay);
      const script = await readFile(path.join(REPOSITORY_ROOT, 'deploy', 'kubernetes', 'secrets.sh'), 'utf8');
      const made = new Map<string, Set<string>>();
      for (const [, name = '', pairs = ''] of script.replace(/\\\n\s*/g, ' ').matchAll(/^secret ([a-z0-9-]+) (.+)$/gm)) {
        made.set(name, new Set(pairs.split(/\s+/).map((pair) => pair.split('=')[0] ?? '')));
      }
      for (const secret of objects.filter((object) => object.kind === 'Secret')) made.set(secret.metadata.name, new Set(Object.keys(secret.data ?? {})));
      const references = new Set<string>();
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) return value.forEach(visit);
        if (typeof value !== 'object' || value === null) return;
        const record = value as Record<string, unknown>;
        const keyRef = record['secretKeyRef'] as { name: string; key: string } | undefined;
        if (keyRef) references.add(`${keyRef.name} ${keyRef.key}`);
        const volume = record['secret'] as { secretName?: string } | undefined;
        if (volume?.secretName) references.add(`${volume.secretName} *`);
        Object.values(record).forEach(visit);
      };
      objects.forEach(visit);
      assert.ok(references.size > 0);
      for (const reference of references) {
        const [name = '', key = ''] = reference.split(' ');
        assert.ok(made.get(name), `Secret ${name} is made by secrets.sh or the overlay`);
        if (key !== '*') assert.ok(made.get(name)?.has(key), `Secret ${name} has key ${key}`);
      }
    });

    test('every in-cluster address in the settings names a Service and one of its ports', () => {
      const objects = objectsOf(overlay);
      const addresses = objects
        .filter((object) => object.kind === 'ConfigMap' && object.metadata.name.includes('-settings'))
        .flatMap((configMap) => Object.entries(configMap.data ?? {}).map(([key, value]) => ({ where: `${configMap.metadata.name} ${key}`, value })))
        .map(({ where, value }) => ({ where, match: /^(?:https?:\/\/)?([a-z0-9-]+):(\d+)$/.exec(value) }))
        .filter(({ match }) => match !== null);
      assert.ok(addresses.length >= 4, 'the settings name in-cluster addresses');
      for (const { where, match } of addresses) {
        const [, host = '', port = ''] = match ?? [];
        const service = find(objects, 'Service', host);
        assert.ok(service.spec?.ports?.some((servicePort) => servicePort.port === Number(port)), `${where}: Service/${host} has port ${port}`);
      }
    });

    test("the collector and Jaeger containers expose the ports their configuration files listen on", async () => {
      const objects = objectsOf(overlay);
      const listens = async (file: string) => {
        const text = await readFile(path.join(REPOSITORY_ROOT, file), 'utf8');
        return Object.fromEntries([...text.matchAll(/\$\{env:([A-Z_]+):-(\d+)\}/g)].map(([, name = '', port = '']) => [name, Number(port)]));
      };
      const containerPorts = (kind: string, name: string) =>
        Object.fromEntries((only(find(objects, kind, name).spec?.template?.spec.containers, name).ports ?? []).map((port) => [port.name ?? '', port.containerPort]));
      const collector = await listens('otel-collector/config.yaml');
      assert.deepEqual(containerPorts('Deployment', 'otel-gateway'), {
        'otlp-grpc': collector['OTELCOL_OTLP_GRPC_PORT'],
        'otlp-http': collector['OTELCOL_OTLP_HTTP_PORT'],
        metrics: collector['OTELCOL_METRICS_PORT'],
        health: collector['OTELCOL_HEALTH_PORT'],
      });
      if (overlay !== 'local') return;
      const jaeger = await listens('jaeger/config.yaml');
      assert.deepEqual(containerPorts('Deployment', 'jaeger'), {
        ui: jaeger['JAEGER_QUERY_PORT'],
        'otlp-grpc': jaeger['JAEGER_OTLP_GRPC_PORT'],
        metrics: jaeger['JAEGER_METRICS_PORT'],
        health: jaeger['JAEGER_HEALTH_PORT'],
      });
    });

    test('label selectors: each selects the pods it is meant for and no others', () => {
      const objects = objectsOf(overlay);
      const templates = podTemplates(objects);
      const selected = (selector: Record<string, string> | undefined) => templates.filter((template) => selects(selector, template.labels)).map((template) => template.owner);
      for (const workload of objects.filter((object) => object.spec?.template !== undefined && object.kind !== 'Job')) {
        const matchLabels = (workload.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
        assert.deepEqual(selected(matchLabels), [`${workload.kind}/${workload.metadata.name}`], `${workload.kind}/${workload.metadata.name}: its selector matches its own pods only`);
      }
      for (const service of objects.filter((object) => object.kind === 'Service' && object.spec?.selector !== undefined)) {
        const owners = selected(service.spec?.selector as Record<string, string>);
        assert.equal(owners.length, 1, `Service/${service.metadata.name} selects the pods of one workload (${owners.join(', ') || 'none'})`);
        const template = objects.find((object) => `${object.kind}/${object.metadata.name}` === owners[0])?.spec?.template;
        const containerPorts = new Set(template?.spec.containers.flatMap((container) => (container.ports ?? []).map((port) => port.name)));
        for (const port of service.spec?.ports ?? []) {
          if (typeof port.targetPort === 'string') assert.ok(containerPorts.has(port.targetPort), `Service/${service.metadata.name}: target port ${port.targetPort} exists`);
        }
      }
      for (const budget of objects.filter((object) => object.kind === 'PodDisruptionBudget')) {
        const matchLabels = (budget.spec?.selector as { matchLabels?: Record<string, string> }).matchLabels;
        assert.deepEqual(selected(matchLabels), [`Deployment/${budget.metadata.name}`], `PodDisruptionBudget/${budget.metadata.name}`);
      }
      for (const autoscaler of objects.filter((object) => object.kind === 'HorizontalPodAutoscaler')) {
        const target = autoscaler.spec?.scaleTargetRef;
        assert.ok(target && find(objects, target.kind, target.name), `HorizontalPodAutoscaler/${autoscaler.metadata.name} scales an existing ${target?.kind}`);
      }
      const policy = find(objects, 'NetworkPolicy', 'cinemetrics-services');
      assert.deepEqual(selected(policy.spec?.podSelector?.matchLabels).sort(), SERVICES.map((service) => `Deployment/${service}`).sort());
      const adminRule = policy.spec?.ingress?.find((rule) => rule.ports?.some((port) => port.port === 'admin'));
      assert.deepEqual(adminRule?.from, [{ namespaceSelector: {} }], 'the admin ports admit pods of the cluster only');
    });
  });
}

describe('overlay specifics', () => {
  test('production: at least two replicas of everything that serves, autoscaling from there', () => {
    const objects = objectsOf('production');
    for (const name of [...SERVICES, 'otel-gateway']) assert.ok((find(objects, 'Deployment', name).spec?.replicas ?? 1) >= 2, `${name}: replicas`);
    for (const service of SERVICES) assert.ok((find(objects, 'HorizontalPodAutoscaler', service).spec?.minReplicas ?? 1) >= 2, `${service}: minReplicas`);
  });

  test('local: one replica each, with the backends in the cluster', () => {
    const objects = objectsOf('local');
    for (const name of [...SERVICES, 'otel-gateway', 'prometheus', 'jaeger', 'grafana', 'victorialogs', 'alertmanager']) {
      assert.equal(find(objects, 'Deployment', name).spec?.replicas, 1, `${name}: replicas`);
    }
  });

  test("local: Prometheus's rules ConfigMap holds every rule file the SLO generator writes, each as written", () => {
    // kustomize names a generated ConfigMap after its content: prometheus-rules-<hash>.
    const rules = objectsOf('local').find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('prometheus-rules-'));
    assert.ok(rules, 'the rules ConfigMap is rendered');
    const generated = renderRules(loadDefinitions(REPOSITORY_ROOT)).filter((file) => file.path !== PROMETHEUS_RULE_PATH);
    assert.deepEqual(Object.keys(rules.data ?? {}).sort(), generated.map((file) => path.basename(file.path)).sort());
    for (const file of generated) assert.equal(rules.data?.[path.basename(file.path)], file.content, file.path);
  });

  test("production: every image is pinned to a version, never latest; the services' image is the project's version", async () => {
    const { version } = JSON.parse(await readFile(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string };
    const objects = objectsOf('production');
    const images = objects.flatMap((object) => (object.spec?.template?.spec.containers ?? []).map((container) => ({ owner: `${object.kind}/${object.metadata.name}`, image: container.image })));
    assert.ok(images.length > 0);
    for (const { owner, image } of images) assert.match(image, /:(?!latest$)[\w][\w.-]*$/, `${owner}: ${image}`);
    for (const service of SERVICES) assert.equal(serviceContainer(objects, service).image, `cinemetrics/services:${version}`, service);
  });

  test('the collector agent runs on every node, tainted ones included', () => {
    for (const overlay of OVERLAYS) {
      const agent = find(objectsOf(overlay), 'DaemonSet', 'otel-agent');
      const tolerations = (agent.spec?.template?.spec as { tolerations?: { operator?: string; key?: string }[] } | undefined)?.tolerations;
      assert.ok(tolerations?.some((toleration) => toleration.operator === 'Exists' && toleration.key === undefined), `${overlay}: ${JSON.stringify(tolerations)}`);
    }
  });

  test("production: the PrometheusRule is the SLO generator's output, and the monitors select the services' admin ports", () => {
    const objects = objectsOf('production');
    const generated = renderRules(loadDefinitions(REPOSITORY_ROOT)).find((file) => file.path === PROMETHEUS_RULE_PATH);
    assert.ok(generated, 'the generator writes the PrometheusRule');
    const expected = parse(generated.content) as KubernetesObject;
    const rule = find(objects, 'PrometheusRule', expected.metadata.name);
    assert.deepEqual(rule.spec, expected.spec);
    const monitor = find(objects, 'ServiceMonitor', 'cinemetrics-services');
    const monitorSelector = (monitor.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    const monitored = objects.filter((object) => object.kind === 'Service' && selects(monitorSelector, object.metadata.labels));
    assert.deepEqual(monitored.map((service) => service.metadata.name).sort(), [...SERVICES].sort());
    assert.deepEqual(monitor.spec?.endpoints?.map((endpoint) => [endpoint.port, endpoint.path]), [['admin', '/metrics']]);
  });
});

describe('against a running service', () => {
  let service: StartedService;
  before(async () => {
    service = await startService('metadata', { env: { LOG_LEVEL: 'warn' } });
  });
  after(() => service?.stop());

  test('every probe path answers 200 on the API port and the scrape path serves metrics on the admin port', async () => {
    const container = serviceContainer(objectsOf('production'), 'metadata');
    const paths = new Set([container.startupProbe, container.readinessProbe, container.livenessProbe].map((probe) => probe?.httpGet?.path));
    for (const probePath of paths) {
      const response = await fetch(`${service.url}${probePath}`);
      assert.equal(response.status, 200, `${probePath}`);
    }
    const scrapePath = find(objectsOf('production'), 'Deployment', 'metadata').spec?.template?.metadata.annotations?.['prometheus.io/path'];
    const metrics = await fetch(`${service.adminUrl}${scrapePath}`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^# HELP /m);
  });
});
