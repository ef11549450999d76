// deploy/base's MutatingWebhookConfiguration against the code: it reaches the control plane's
// --webhook-listen port through a Service whose DNS name the webhook certificate holds, at the route
// the webhook serves, with the settings docs/kubernetes.md explains. Its selectors, evaluated as the
// API server evaluates them, send exactly the pods meant for injection, and the webhook (over HTTPS)
// injects each pod they send: a namespace label alone is enough.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebhookFlags } from '../../control-plane/src/cli/webhook-options.js';
import { INJECT_LABEL, NAMESPACE_INJECT_VALUE } from '../../control-plane/src/injection/injection-names.js';
import { INJECT_PATH } from '../../control-plane/src/injection/injection-webhook.js';
import { podReview, review, startWebhook, type Webhook } from '../injection/support/webhook-harness.js';
import { render, type K8sObject } from './support/kustomize.js';
import { selectorMatches, type LabelSelector } from './support/label-selector.js';
import { flagValue, podTemplates, resolvePort, sluiceUses } from './support/manifest-uses.js';

interface WebhookEntry {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  reinvocationPolicy: string;
  clientConfig: { service: { name: string; namespace: string; port: number; path: string }; caBundle?: string };
  rules: { operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[]; scope: string }[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

const base = (): readonly K8sObject[] => render('deploy/base').objects;
const webhooks = (): WebhookEntry[] => {
  const found = base().filter((o) => o.kind === 'MutatingWebhookConfiguration');
  assert.equal(found.length, 1, 'deploy/base renders one MutatingWebhookConfiguration');
  return found[0]!['webhooks'] as WebhookEntry[];
};

let served: Webhook | undefined;
after(() => served?.stop());

test('each webhook calls the control plane\'s --webhook-listen port, through a Service its certificate names, at POST /inject', () => {
  const controlPlane = sluiceUses(podTemplates('deploy/base', base())).find((u) => u.command === 'control-plane');
  assert.ok(controlPlane);
  const listen = flagValue(controlPlane, '--webhook-listen');
  assert.equal(listen, '0.0.0.0:15017');
  const env = controlPlane.container.env?.find((e) => e.name === 'POD_NAMESPACE');
  assert.equal(env?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace', 'the control plane knows its namespace (the certificate\'s DNS names)');
  for (const w of webhooks()) {
    const { service } = w.clientConfig;
    assert.equal(service.path, INJECT_PATH);
    const svc = base().find((o) => o.kind === 'Service' && o.metadata.name === service.name);
    assert.ok(svc, `${w.name}: Service ${service.name} is in deploy/base`);
    assert.equal(service.namespace, svc.metadata.namespace);
    const port = (svc['spec'] as { ports: { port: number; targetPort: string | number }[] }).ports.find((p) => p.port === service.port);
    assert.ok(port, `${w.name}: Service ${service.name} has port ${service.port}`);
    assert.equal(resolvePort(controlPlane.container, port.targetPort), 15017, `${w.name}: the Service's target is the port --webhook-listen binds`);
    const options = parseWebhookFlags({ 'webhook-listen': listen! }, { POD_NAMESPACE: service.namespace });
    assert.ok(options?.dnsNames.includes(`${service.name}.${service.namespace}.svc`), `${w.name}: the certificate names ${service.name}.${service.namespace}.svc, the name the API server checks`);
  }
});

test('each webhook reviews pod CREATEs, v1 only, without side effects, failing closed within 10 s, reinvoked when needed', () => {
  const all = webhooks();
  assert.deepEqual(all.map((w) => w.name), ['namespace.inject.sluice.io', 'object.inject.sluice.io']);
  for (const w of all) {
    assert.deepEqual(w.admissionReviewVersions, ['v1']);
    assert.equal(w.sideEffects, 'None');
    assert.equal(w.failurePolicy, 'Fail');
    assert.equal(w.timeoutSeconds, 10);
    assert.equal(w.reinvocationPolicy, 'IfNeeded');
    assert.deepEqual(w.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    assert.equal(w.clientConfig.caBundle, undefined, 'the caBundle is patched in after the CA exists (docs/kubernetes.md)');
  }
});

/** Namespace labels and pod labels, and whether the pod is meant to be injected. */
const cases: { what: string; namespace: Record<string, string>; pod: Record<string, string>; injected: boolean }[] = [
  { what: 'a pod with no label in an opted-in namespace', namespace: { [INJECT_LABEL]: NAMESPACE_INJECT_VALUE, 'kubernetes.io/metadata.name': 'shop' }, pod: { app: 'web' }, injected: true },
  { what: 'a pod labelled true in an opted-in namespace', namespace: { [INJECT_LABEL]: NAMESPACE_INJECT_VALUE, 'kubernetes.io/metadata.name': 'shop' }, pod: { [INJECT_LABEL]: 'true' }, injected: true },
  { what: 'a pod labelled false in an opted-in namespace', namespace: { [INJECT_LABEL]: NAMESPACE_INJECT_VALUE, 'kubernetes.io/metadata.name': 'shop' }, pod: { [INJECT_LABEL]: 'false' }, injected: false },
  { what: 'a pod labelled true in another namespace', namespace: { 'kubernetes.io/metadata.name': 'shop' }, pod: { [INJECT_LABEL]: 'true' }, injected: true },
  { what: 'a pod with no label in another namespace', namespace: { 'kubernetes.io/metadata.name': 'shop' }, pod: { app: 'web' }, injected: false },
  { what: 'a pod labelled true in the control plane\'s namespace', namespace: { 'kubernetes.io/metadata.name': 'sluice-system' }, pod: { [INJECT_LABEL]: 'true' }, injected: false },
  { what: 'a pod labelled true in kube-system', namespace: { 'kubernetes.io/metadata.name': 'kube-system' }, pod: { [INJECT_LABEL]: 'true' }, injected: false },
];

for (const c of cases) {
  test(`${c.what}: ${c.injected ? 'sent by one webhook and injected' : 'sent by none'}`, async () => {
    const sending = webhooks().filter((w) => selectorMatches(w.namespaceSelector, c.namespace) && selectorMatches(w.objectSelector, c.pod));
    assert.equal(sending.length, c.injected ? 1 : 0, `webhooks that send it: ${sending.map((w) => w.name).join(', ') || 'none'}`);
    if (!c.injected) return;
    served ??= await startWebhook();
    const sent = podReview((pod, r) => {
      pod.metadata.labels = c.pod;
      r.request.namespace = c.namespace['kubernetes.io/metadata.name'];
    });
    const response = await review(served, sent);
    assert.equal(response.allowed, true);
    assert.equal(typeof response.patch, 'string', 'the webhook injects what the selectors send');
  });
}

test('the control plane\'s own pods are never sent, even when its namespace is labelled', () => {
  const [own] = podTemplates('deploy/base', base()).filter((p) => p.owner.metadata.name === 'sluice-control-plane');
  assert.ok(own);
  const namespaces: Record<string, string>[] = [{ 'kubernetes.io/metadata.name': 'sluice-system' }, { 'kubernetes.io/metadata.name': 'sluice-system', [INJECT_LABEL]: NAMESPACE_INJECT_VALUE }];
  for (const labels of [own.labels, { ...own.labels, [INJECT_LABEL]: 'true' }]) {
    for (const ns of namespaces) {
      assert.deepEqual(webhooks().filter((w) => selectorMatches(w.namespaceSelector, ns) && selectorMatches(w.objectSelector, labels)).map((w) => w.name), [], JSON.stringify({ ns, labels }));
    }
  }
});
