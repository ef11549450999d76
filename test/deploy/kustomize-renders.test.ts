// `kubectl kustomize deploy/...` renders every kustomization, with no
// warnings, into objects that each name their kind, and into one namespace per kustomization.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNamespaced, kubectlBinary, kustomizationDirs, render } from './support/kustomize.js';

const EXPECTED_DIRS = ['deploy/base', 'deploy/examples/gateway', 'deploy/examples/sidecar-app', 'deploy/overlays/single-node'];

test('kubectl is installed (else: apt-get install kubernetes-client)', () => {
  assert.ok(kubectlBinary());
});

test('deploy/ holds the base, both examples and the single-node overlay', () => {
  assert.deepEqual(kustomizationDirs(), EXPECTED_DIRS);
});

for (const dir of kustomizationDirs()) {
  test(`kubectl kustomize ${dir} renders without warnings`, () => {
    const { objects, warnings } = render(dir);
    assert.ok(objects.length > 0, `${dir} rendered no objects`);
    assert.equal(warnings, '', `kubectl warned while rendering ${dir}`);
    for (const o of objects) {
      assert.equal(typeof o.apiVersion, 'string', `an object of ${dir} has no apiVersion`);
      assert.equal(typeof o.kind, 'string', `an object of ${dir} has no kind`);
      assert.match(o.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${dir}: ${o.kind} has no valid name`);
    }
  });

  test(`${dir}: every namespaced object lands in the kustomization's own namespace`, () => {
    const { objects } = render(dir);
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    assert.equal(namespaces.length <= 1, true, `${dir} creates several namespaces: ${namespaces.join(', ')}`);
    const wanted = namespaces[0] ?? objects.find((o) => o.metadata.namespace !== undefined)?.metadata.namespace;
    for (const o of objects.filter(isNamespaced)) {
      assert.equal(o.metadata.namespace, wanted, `${dir}: ${o.kind}/${o.metadata.name} is in namespace ${o.metadata.namespace}`);
    }
  });
}
