// The injection webhook, over real HTTPS, adds the sidecar to a pod the webhook configuration's
// selectors chose: the capture init container first, then the native sidecar running `sluice proxy`
// with the flags deploy/examples/sidecar-app writes by hand, its volumes, the discovery label and the
// status annotation. The patch is applied with an independent JSON Patch library and the result
// validates against the Kubernetes schemas the manifest tests use; a second review of the result
// answers no patch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { formatSchemaErrors, validateObject } from '../deploy/support/kubernetes-schema.js';
import { sluiceHelp } from '../deploy/support/sluice-code.js';
import { patchedPod, podReview, review, startWebhook, type Webhook } from './support/webhook-harness.js';
import { runSluice } from '../support/run-sluice.js';

let webhook: Webhook;
before(async () => {
  webhook = await startWebhook({ injection: { image: 'registry.example.com/sluice:0.1.0', controlPlane: 'sluice-discovery.mesh.svc:15010' } });
});
after(() => webhook.stop());

/** The value after `flag` in `args`, or undefined. */
function flag(args: readonly string[] | undefined, name: string): string | undefined {
  const i = args?.indexOf(name) ?? -1;
  return i < 0 ? undefined : args![i + 1];
}

test('a pod of an opted-in namespace gets the capture and proxy containers first, its volumes, label and status', async () => {
  const sent = podReview();
  const response = await review(webhook, sent);
  assert.equal(response.allowed, true);
  const pod = patchedPod(sent, response);
  const init = pod.spec?.initContainers ?? [];
  assert.deepEqual(init.map((c) => c.name), ['sluice-init', 'sluice-proxy']);
  const [capture, proxy] = init;

  assert.equal(proxy?.restartPolicy, 'Always', 'a native sidecar');
  assert.equal(proxy?.image, 'registry.example.com/sluice:0.1.0');
  assert.equal(proxy?.args?.[0], 'proxy');
  const args = proxy?.args;
  assert.equal(flag(args, '--control-plane'), 'sluice-discovery.mesh.svc:15010');
  assert.equal(flag(args, '--node-id'), '$(POD_NAME).$(POD_NAMESPACE)');
  assert.equal(flag(args, '--service'), 'web', 'from the app.kubernetes.io/name label');
  assert.equal(flag(args, '--outbound-listen'), '127.0.0.1:15001');
  assert.equal(flag(args, '--inbound-listen'), '0.0.0.0:15006');
  assert.equal(flag(args, '--app-port'), '8080', 'the first container\'s first port');
  assert.equal(flag(args, '--admin-listen'), '0.0.0.0:15000');
  assert.equal(flag(args, '--token-file'), '/var/run/secrets/sluice/identity/token');
  assert.equal(flag(args, '--bootstrap-token-file'), '/var/run/secrets/sluice/identity/token');
  assert.equal(flag(args, '--control-plane-ca'), '/var/run/sluice-trust-bundle/ca.pem');
  assert.equal(proxy?.securityContext?.runAsUser, 1337);
  assert.deepEqual(proxy?.readinessProbe?.httpGet, { path: '/ready', port: 'sluice-admin' });
  assert.deepEqual(proxy?.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]), [['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace'], ['POD_IP', 'status.podIP']]);
  // Every file the proxy reads lies under a mount of one of the pod's volumes.
  for (const file of ['--token-file', '--control-plane-ca', '--state-dir'].map((f) => flag(args, f)!)) {
    const mount = proxy?.volumeMounts?.find((m) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
    assert.ok(mount && pod.spec?.volumes?.some((v) => v.name === mount.name), `${file} is on a volume of the pod`);
  }
  const identity = pod.spec?.volumes?.find((v) => v.name === 'sluice-identity');
  assert.deepEqual(identity?.projected?.sources, [{ serviceAccountToken: { audience: 'sluice', expirationSeconds: 3600, path: 'token' } }]);
  assert.equal(pod.spec?.volumes?.find((v) => v.name === 'sluice-trust-bundle')?.configMap?.name, 'sluice-trust-bundle');

  assert.deepEqual(capture?.args, ['init-capture', '--inbound-port', '15006', '--outbound-port', '15001', '--proxy-uid', '1337', '--exclude-inbound-ports', '15000,15010,15017,15080']);
  assert.deepEqual(capture?.securityContext?.capabilities?.add, ['NET_ADMIN', 'NET_RAW']);
  assert.equal(capture?.securityContext?.runAsUser, 0);
  assert.equal(capture?.securityContext?.runAsNonRoot, false);

  // What the pod had stays, in place.
  assert.deepEqual(pod.spec?.containers, sent.request.object.spec.containers);
  assert.equal(pod.spec?.volumes?.[0]?.name, 'kube-api-access-x7k2p');
  assert.equal(pod.metadata?.annotations?.['example.com/owner'], 'team-a');
  assert.equal(pod.metadata?.labels?.['sluice.dev/proxy'], 'true', 'admitted to the discovery port by deploy/base\'s NetworkPolicy');
  assert.deepEqual(JSON.parse(pod.metadata?.annotations?.['sluice.io/status'] ?? '{}'), {
    initContainers: ['sluice-init', 'sluice-proxy'],
    volumes: ['sluice-identity', 'sluice-trust-bundle', 'sluice-state', 'sluice-tmp'],
    image: 'registry.example.com/sluice:0.1.0',
  });
});

test('the injected pod validates against the Kubernetes schemas, with no unknown field', async () => {
  const sent = podReview();
  const pod = patchedPod(sent, await review(webhook, sent));
  const errors = await validateObject(pod);
  assert.equal(formatSchemaErrors('injected pod', errors), '');
});

test('a second review of the injected pod (a reinvocation) answers no patch', async () => {
  const sent = podReview();
  const injected = patchedPod(sent, await review(webhook, sent));
  const again = podReview((_pod, r) => (r.request.object = injected));
  const response = await review(webhook, again);
  assert.equal(response.allowed, true);
  assert.equal(response.patch, undefined);
});

test('a pod labelled sluice.io/inject=true is injected; its existing init containers run after the sidecar', async () => {
  const sent = podReview((pod) => {
    pod.metadata.labels = { app: 'cart', 'sluice.io/inject': 'true' };
    pod.spec.initContainers = [{ name: 'migrate', image: 'registry.example.com/migrate:1' }];
  });
  const pod = patchedPod(sent, await review(webhook, sent));
  assert.deepEqual(pod.spec?.initContainers?.map((c) => c.name), ['sluice-init', 'sluice-proxy', 'migrate']);
  assert.equal(flag(pod.spec?.initContainers?.[1]?.args, '--service'), 'cart', 'from the app label');
});

test('capture "false" leaves the init container out; exclude annotations reach the capture\'s flags', async () => {
  const noCapture = podReview((pod) => (pod.metadata.annotations['sluice.io/capture'] = 'false'));
  const plain = patchedPod(noCapture, await review(webhook, noCapture));
  assert.deepEqual(plain.spec?.initContainers?.map((c) => c.name), ['sluice-proxy']);

  const excluded = podReview((pod) => {
    pod.metadata.annotations['sluice.io/exclude-inbound-ports'] = '9090, 15000';
    pod.metadata.annotations['sluice.io/exclude-outbound-ports'] = '5432,6379';
  });
  const capture = patchedPod(excluded, await review(webhook, excluded)).spec?.initContainers?.[0];
  assert.equal(flag(capture?.args, '--exclude-inbound-ports'), '15000,15010,15017,15080,9090');
  assert.equal(flag(capture?.args, '--exclude-outbound-ports'), '5432,6379');
});

test('a pod without ports or app labels: the proxy serves its service account, outbound only', async () => {
  const sent = podReview((pod) => {
    pod.metadata.labels = {};
    delete pod.spec.containers[0].ports;
  });
  const proxy = patchedPod(sent, await review(webhook, sent)).spec?.initContainers?.[1];
  assert.equal(flag(proxy?.args, '--service'), 'web', 'the service account');
  assert.equal(flag(proxy?.args, '--inbound-listen'), undefined);
  assert.equal(flag(proxy?.args, '--app-port'), undefined);
  assert.deepEqual(proxy?.ports?.map((p) => p.containerPort), [15000]);
});

test('every flag the injected proxy is given is one `sluice proxy --help` documents', async () => {
  const help = sluiceHelp('proxy');
  assert.ok(help.ok, help.ok ? '' : help.problem);
  const sent = podReview();
  const proxy = patchedPod(sent, await review(webhook, sent)).spec?.initContainers?.find((c) => c.name === 'sluice-proxy');
  const flags = (proxy?.args ?? []).filter((a) => a.startsWith('--'));
  assert.ok(flags.length >= 10, `flags found: ${flags.join(' ')}`);
  assert.deepEqual(flags.filter((f) => !help.flags.has(f)), []);
});

test('the injected capture container runs a command line `sluice init-capture` accepts', async () => {
  const sent = podReview((pod) => {
    pod.metadata!.annotations = { ...pod.metadata!.annotations, 'sluice.io/exclude-outbound-ports': '3306', 'sluice.io/exclude-inbound-ports': '9090' };
  });
  const init = patchedPod(sent, await review(webhook, sent)).spec?.initContainers?.find((c) => c.name === 'sluice-init');
  const argv = [...(init?.command ?? []), ...(init?.args ?? [])];
  const at = argv.indexOf('init-capture');
  assert.ok(at >= 0, `no init-capture in ${JSON.stringify(argv)}`);
  // --dry-run parses every flag as the real run does, and prints the rules instead of applying them.
  const run = await runSluice([...argv.slice(at), '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /-A SLUICE_OUTPUT -m owner --uid-owner 1337 -j RETURN/);
  assert.match(run.stdout, /-A SLUICE_OUTPUT -p tcp --dport 3306 -j RETURN/);
  assert.match(run.stdout, /-A SLUICE_INBOUND -p tcp --dport 9090 -j RETURN/);
  assert.match(run.stdout, /-A SLUICE_INBOUND -p tcp --dport 15000 -j RETURN/);
});
