/**
 * deploy/kubernetes admitted by a real API server: both overlays, rendered by the pinned kustomize,
 * server-side applied with `dryRun=All` to the kube-apiserver of the Kubernetes release the schema
 * checks use (on its own etcd), so every object passes the API's own defaulting, validation
 * (cross-field rules the OpenAPI schemas cannot express, like a selector matching its template) and
 * admission, with unknown fields refused; a warning fails it too. Nothing is stored but the
 * namespaces and the CRDs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { component } from '@cinemetrics/stack';
import { startTestApiServer, type ApiResponse, type TestApiServer } from './support/apiserver.js';
import { describeObject, installPrerequisites, objectPath, serverSideApply } from './support/apply.js';
import { OVERLAYS, renderOverlay, type KubernetesObject, type Rendered } from './support/render.js';

/** Made for real before the dry runs, as a cluster has them before the manifests arrive. */
const PREREQUISITE_KINDS = new Set(['Namespace', 'CustomResourceDefinition']);

let api: TestApiServer;
let rendered: Rendered[] = [];

function renderedObjects(overlay: Rendered['overlay']): KubernetesObject[] {
  const found = rendered.find((one) => one.overlay === overlay);
  assert.ok(found, `${overlay} is rendered`);
  return found.objects;
}

function findObject(objects: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind}/${name} is rendered`);
  return found;
}

/** 201 for an object the API does not have yet (the dry run's would-be create), 200 for one it has. */
function admitted(response: ApiResponse): boolean {
  return response.status === 200 || response.status === 201;
}

function refusal(response: ApiResponse): string {
  return `${response.status} ${response.body.reason ?? ''}: ${response.body.message ?? ''}`;
}

before(
  async () => {
    [api, rendered] = await Promise.all([startTestApiServer(), Promise.all(OVERLAYS.map(renderOverlay))]);
    await installPrerequisites(api, rendered.flatMap((one) => one.objects));
  },
  { timeout: 240_000 },
);
after(() => api?.stop());

describe('server-side dry run on kube-apiserver', () => {
  test('the API server is the Kubernetes release whose schemas the manifests test validates against', async () => {
    const schemas = component('kubeconform').files?.find((files) => files.module === 'k8s.io/kubernetes');
    assert.ok(schemas, 'kubeconform takes its schemas from k8s.io/kubernetes');
    const version = await api.call('GET', '/version');
    assert.equal(version.status, 200, refusal(version));
    assert.equal(version.body['gitVersion'], schemas.version);
  });

  test('only the test holds a credential: an anonymous request is refused', async () => {
    const response = await api.call('GET', '/api/v1/namespaces', { anonymous: true });
    assert.equal(response.status, 401, refusal(response));
  });

  for (const overlay of OVERLAYS) {
    test(`${overlay}: the API server admits every object, without a warning`, async () => {
      const objects = renderedObjects(overlay).filter((object) => !PREREQUISITE_KINDS.has(object.kind));
      assert.ok(objects.length > 20, `${overlay} renders its objects (${objects.length})`);
      const refused: string[] = [];
      const warned: string[] = [];
      for (const object of objects) {
        const response = await serverSideApply(api, object, { dryRun: true });
        if (!admitted(response)) refused.push(`${describeObject(object)}: ${refusal(response)}`);
        warned.push(...response.warnings.map((warning) => `${describeObject(object)}: ${warning}`));
      }
      assert.deepEqual(refused, [], `refused by the API server:\n${refused.join('\n')}`);
      assert.deepEqual(warned, [], `warnings from the API server:\n${warned.join('\n')}`);
    });
  }

  test('the dry runs stored nothing', async () => {
    const deployment = findObject(renderedObjects('production'), 'Deployment', 'movie');
    const response = await api.call('GET', await objectPath(api, deployment));
    assert.equal(response.status, 404, refusal(response));
  });

  describe("a broken object is refused or warned about, in the API server's words", () => {
    type DeploymentSpec = NonNullable<KubernetesObject['spec']>;
    /** metadata's Deployment with its spec changed as `change` returns it (the rendered one stays as it is). */
    function brokenDeployment(change: (spec: DeploymentSpec) => Record<string, unknown>): KubernetesObject {
      const deployment = findObject(renderedObjects('production'), 'Deployment', 'metadata');
      return { ...deployment, spec: change(structuredClone(deployment.spec ?? {})) };
    }

    test('a selector that does not match the pod template', async () => {
      const broken = brokenDeployment((spec) => ({ ...spec, selector: { matchLabels: { 'app.kubernetes.io/name': 'not-metadata' } } }));
      const response = await serverSideApply(api, broken, { dryRun: true });
      assert.equal(response.status, 422, refusal(response));
      assert.equal(response.body.reason, 'Invalid');
      assert.ok(
        response.body.details?.causes?.some((cause) => cause.field === 'spec.template.metadata.labels' && /selector.*does not match template.*labels/.test(cause.message ?? '')),
        refusal(response),
      );
    });

    test('a negative replica count', async () => {
      const broken = brokenDeployment((spec) => ({ ...spec, replicas: -1 }));
      const response = await serverSideApply(api, broken, { dryRun: true });
      assert.equal(response.status, 422, refusal(response));
      assert.equal(response.body.reason, 'Invalid');
      assert.ok(response.body.details?.causes?.some((cause) => cause.field === 'spec.replicas' && /greater than or equal to 0/.test(cause.message ?? '')), refusal(response));
    });

    test('a deprecated node label is admitted with a warning, which the overlay tests would report', async () => {
      const broken = brokenDeployment((spec) => ({
        ...spec,
        template: { ...spec.template, spec: { ...spec.template?.spec, nodeSelector: { 'beta.kubernetes.io/arch': 'amd64' } } },
      }));
      const response = await serverSideApply(api, broken, { dryRun: true });
      assert.ok(admitted(response), refusal(response));
      assert.ok(response.warnings.some((warning) => /beta\.kubernetes\.io\/arch.*deprecated/.test(warning)), `warnings: ${response.warnings.join('\n')}`);
    });

    test('a misspelt field (strict field validation)', async () => {
      const broken = brokenDeployment((spec) => ({ ...spec, template: { ...spec.template, spec: { ...spec.template?.spec, terminationGracePeriod: 25 } } }));
      const response = await serverSideApply(api, broken, { dryRun: true });
      // Server-side apply meets the field while building its typed patch, and answers that with a 500.
      assert.ok(response.status >= 400, refusal(response));
      assert.match(response.body.message ?? '', /\.spec\.template\.spec\.terminationGracePeriod: field not declared in schema/);
    });
  });
});
