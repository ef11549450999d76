// Every rendered object validates against the Kubernetes schemas, and a field
// the schemas do not define is refused. The second half proves the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, kustomizationDirs, render, type K8sObject } from './support/kustomize.js';
import { formatSchemaErrors, validateObject } from './support/kubernetes-schema.js';

for (const dir of kustomizationDirs()) {
  test(`every object of ${dir} matches its Kubernetes schema, with no unknown field`, async () => {
    const problems: string[] = [];
    for (const object of render(dir).objects) {
      const errors = await validateObject(object);
      if (errors.length > 0) problems.push(formatSchemaErrors(describe(dir, object), errors));
    }
    assert.equal(problems.join('\n'), '', 'objects that do not match the Kubernetes schemas');
  });
}

/** A fresh copy of the rendered control-plane Deployment to break. */
function controlPlane(): K8sObject & { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } } {
  const found = render('deploy/base').objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sluice-control-plane');
  assert.ok(found, 'deploy/base renders the sluice-control-plane Deployment');
  return structuredClone(found) as ReturnType<typeof controlPlane>;
}

test('the check refuses a misspelled field deep in a pod template', async () => {
  const d = controlPlane();
  const probe = d.spec.template.spec.containers[0]?.['readinessProbe'] as { httpGet: Record<string, unknown> };
  probe.httpGet['pathh'] = '/readyz';
  assert.deepEqual(await validateObject(d), [
    { path: '/spec/template/spec/containers/0/readinessProbe/httpGet/pathh', message: 'unknown field (not in the Kubernetes schema)' },
  ]);
});

test('the check refuses unknown fields at every level and names each one', async () => {
  const d = controlPlane() as unknown as Record<string, Record<string, unknown>>;
  (d['metadata'] as Record<string, unknown>)['labelz'] = { a: 'b' };
  (d['spec'] as Record<string, unknown>)['replica'] = 2;
  d['status2'] = {};
  const paths = (await validateObject(d)).map((e) => e.path).sort();
  assert.deepEqual(paths, ['/metadata/labelz', '/spec/replica', '/status2']);
});

test('the check refuses a wrong type and a missing required field', async () => {
  const d = controlPlane();
  d.spec.replicas = 'two';
  delete d.spec.template.spec.containers[0]?.['name'];
  const errors = await validateObject(d);
  assert.ok(errors.some((e) => e.path === '/spec/replicas' && /integer/.test(e.message)), JSON.stringify(errors));
  assert.ok(errors.some((e) => e.path === '/spec/template/spec/containers/0' && /name/.test(e.message)), JSON.stringify(errors));
});

test('the check refuses a kind it has no schema for', async () => {
  assert.deepEqual(await validateObject({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }), [
    { path: '', message: 'no Kubernetes schema for kind Deploymnet in apps/v1' },
  ]);
  assert.deepEqual(await validateObject({ apiVersion: 'sluice.dev/v1', kind: 'Route', metadata: { name: 'x' } }), [
    { path: '', message: 'no Kubernetes schema for apiVersion sluice.dev/v1' },
  ]);
});

test('map keys under labels, annotations and resources are data, not fields', async () => {
  const d = controlPlane() as unknown as { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
  d.metadata.labels['example.com/any-key'] = 'v';
  d.metadata.annotations = { 'example.com/note': 'x' };
  assert.deepEqual(await validateObject(d), []);
});
