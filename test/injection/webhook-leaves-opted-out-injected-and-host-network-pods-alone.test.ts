// Pods the webhook's selectors send but the handler must not touch, answered allowed with no patch:
// opted out by annotation or label, injected already (the status annotation, or a container named
// sluice-proxy, hand-written as in deploy/examples), sharing the node's network, or not a CREATE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { podReview, review, startWebhook, type Webhook } from './support/webhook-harness.js';

let webhook: Webhook;
before(async () => {
  webhook = await startWebhook();
});
after(() => webhook.stop());

const leftAlone: Record<string, (pod: any, review: any) => void> = {
  'opted out by annotation sluice.io/inject: "false"': (pod) => (pod.metadata.annotations['sluice.io/inject'] = 'false'),
  'opted out by label sluice.io/inject=false': (pod) => (pod.metadata.labels['sluice.io/inject'] = 'false'),
  'already injected (sluice.io/status set)': (pod) => (pod.metadata.annotations['sluice.io/status'] = '{"initContainers":["sluice-proxy"]}'),
  'with a hand-written sluice-proxy native sidecar': (pod) => (pod.spec.initContainers = [{ name: 'sluice-proxy', image: 'sluice:0.1.0', restartPolicy: 'Always', args: ['proxy'] }]),
  'with a sluice-proxy container': (pod) => pod.spec.containers.push({ name: 'sluice-proxy', image: 'sluice:0.1.0', args: ['proxy'] }),
  'on the host network': (pod) => (pod.spec.hostNetwork = true),
  'reviewed for an UPDATE': (_pod, r) => (r.request.operation = 'UPDATE'),
};

for (const [what, edit] of Object.entries(leftAlone)) {
  test(`a pod ${what} is allowed with no patch`, async () => {
    const response = await review(webhook, podReview(edit));
    assert.equal(response.allowed, true);
    assert.equal(response.patch, undefined);
    assert.equal(response.patchType, undefined);
  });
}

test('the same pod without the opt-out is injected (the cases above differ from it in one field only)', async () => {
  const response = await review(webhook, podReview());
  assert.equal(response.allowed, true);
  assert.equal(typeof response.patch, 'string');
});

test('a pod whose annotation cannot be read, or whose volume takes an injected name, is refused with the reason', async () => {
  const badPorts = await review(webhook, podReview((pod) => (pod.metadata.annotations['sluice.io/exclude-outbound-ports'] = '5432,redis')));
  assert.equal(badPorts.allowed, false);
  assert.equal(badPorts.patch, undefined);
  assert.equal(badPorts.status.code, 400);
  assert.match(badPorts.status.message, /annotation sluice\.io\/exclude-outbound-ports: "redis" is not a port/);

  const taken = await review(webhook, podReview((pod) => pod.spec.volumes.push({ name: 'sluice-state', emptyDir: {} })));
  assert.equal(taken.allowed, false);
  assert.match(taken.status.message, /already has volume sluice-state/);
});
