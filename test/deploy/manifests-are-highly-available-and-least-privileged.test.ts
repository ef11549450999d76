// What a production deployment needs, read off the rendered manifests: etcd as a quorum of three with
// its own volumes and disruption budget, the control plane replicated behind Services with probes and
// a NetworkPolicy, every pod non-root without privilege escalation and with resources set, and a
// multi-stage Dockerfile that runs as non-root. A change that drops one of these fails here, naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_DIR, isNamespaced, kustomizationDirs, render, type K8sObject } from './support/kustomize.js';
import { containersOf, flagValue, podTemplates, selects, sluiceUses, type Container, type PodTemplate } from './support/manifest-uses.js';

const base = (): readonly K8sObject[] => render('deploy/base').objects;

function one(objects: readonly K8sObject[], kind: string, name: string): K8sObject & { spec: Record<string, any> } {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name} is rendered`);
  return found as K8sObject & { spec: Record<string, any> };
}

function podOf(objects: readonly K8sObject[], kind: string, name: string): PodTemplate {
  const pod = podTemplates('', objects).find((p) => p.owner.kind === kind && p.owner.metadata.name === name);
  assert.ok(pod, `${kind}/${name} has a pod template`);
  return pod;
}

function servicesSelecting(objects: readonly K8sObject[], pod: PodTemplate): (K8sObject & { spec: Record<string, any> })[] {
  return objects
    .filter((o) => o.kind === 'Service' && selects((o['spec'] as { selector?: Record<string, string> }).selector, pod.labels))
    .map((o) => o as K8sObject & { spec: Record<string, any> });
}

test('deploy/base is namespace sluice-system', () => {
  assert.ok(base().some((o) => o.kind === 'Namespace' && o.metadata.name === 'sluice-system'));
  assert.ok(base().filter(isNamespaced).every((o) => o.metadata.namespace === 'sluice-system'));
  assert.ok(base().filter((o) => !isNamespaced(o)).every((o) => o.metadata.namespace === undefined), 'cluster-scoped objects have no namespace');
});

test('etcd is a StatefulSet of three, each member with its own persistent volume claim', () => {
  const etcd = one(base(), 'StatefulSet', 'sluice-etcd');
  assert.equal(etcd.spec['replicas'], 3);
  assert.equal(etcd.spec['podManagementPolicy'], 'Parallel', 'members must start together to form a quorum');
  const claims = etcd.spec['volumeClaimTemplates'] as { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[];
  assert.equal(claims.length, 1);
  assert.ok(claims[0]?.spec.resources.requests.storage, 'the claim asks for storage');
  const mounts = podOf(base(), 'StatefulSet', 'sluice-etcd').spec.containers[0]?.volumeMounts ?? [];
  assert.ok(mounts.some((m) => m.name === claims[0]?.metadata.name), 'etcd mounts its claim');
});

test('etcd has a headless peer Service (its serviceName) and a client Service', () => {
  const etcd = one(base(), 'StatefulSet', 'sluice-etcd');
  const pod = podOf(base(), 'StatefulSet', 'sluice-etcd');
  const peer = one(base(), 'Service', etcd.spec['serviceName'] as string);
  assert.equal(peer.spec['clusterIP'], 'None');
  assert.equal(peer.spec['publishNotReadyAddresses'], true, 'members find each other before they are ready');
  assert.ok((peer.spec['ports'] as { port: number }[]).some((p) => p.port === 2380));
  const clients = servicesSelecting(base(), pod).filter((s) => s.spec['clusterIP'] !== 'None');
  assert.ok(clients.some((s) => (s.spec['ports'] as { port: number }[]).some((p) => p.port === 2379)), 'a ClusterIP Service serves etcd clients on 2379');
});

test('etcd has a disruption budget that keeps the quorum', () => {
  const pod = podOf(base(), 'StatefulSet', 'sluice-etcd');
  const pdb = base().find((o) => o.kind === 'PodDisruptionBudget' && selects((o['spec'] as any).selector?.matchLabels, pod.labels));
  assert.ok(pdb, 'a PodDisruptionBudget selects the etcd pods');
  const spec = pdb['spec'] as { maxUnavailable?: number; minAvailable?: number };
  assert.ok(spec.maxUnavailable === 1 || spec.minAvailable === 2, `etcd's budget allows ${JSON.stringify(spec)}`);
});

test('the control plane is a Deployment of two with pod anti-affinity, probes, resources and a budget', () => {
  const cp = one(base(), 'Deployment', 'sluice-control-plane');
  assert.equal(cp.spec['replicas'], 2);
  const pod = podOf(base(), 'Deployment', 'sluice-control-plane');
  const anti = pod.spec.affinity?.['podAntiAffinity'] as Record<string, { podAffinityTerm?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }; topologyKey?: string; labelSelector?: { matchLabels: Record<string, string> } }[]> | undefined;
  assert.ok(anti, 'the control plane has pod anti-affinity');
  const terms = Object.values(anti).flat().map((t) => t.podAffinityTerm ?? t);
  assert.ok(terms.some((t) => t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector?.matchLabels, pod.labels)), 'replicas repel each other per node');
  const c = pod.spec.containers[0] as Container;
  assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
  assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
  assert.ok(c.resources?.requests?.['cpu'] && c.resources.requests['memory'] && c.resources.limits?.['memory'], 'requests and a memory limit');
  const pdb = base().find((o) => o.kind === 'PodDisruptionBudget' && selects((o['spec'] as any).selector?.matchLabels, pod.labels));
  assert.ok(pdb, 'a PodDisruptionBudget selects the control-plane pods');
});

test('Services expose the control plane API on 15080, discovery on 15010 and the injection webhook on 15017', () => {
  const pod = podOf(base(), 'Deployment', 'sluice-control-plane');
  const ports = servicesSelecting(base(), pod).flatMap((s) => (s.spec['ports'] as { port: number }[]).map((p) => `${s.metadata.name}:${p.port}`));
  assert.deepEqual(ports.sort(), ['sluice-api:15080', 'sluice-control-plane:15017', 'sluice-discovery:15010']);
});

test('the admin token comes from a Secret, mounted as the file --token-file names', () => {
  const [use] = sluiceUses([podOf(base(), 'Deployment', 'sluice-control-plane')]);
  assert.ok(use);
  const file = flagValue(use, '--token-file');
  assert.ok(file, 'the control plane gets --token-file');
  const mount = use.container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `${file} lies under a volume mount`);
  const volume = use.pod.spec.volumes?.find((v) => v.name === mount.name);
  assert.ok(volume?.secret, `the volume holding ${file} is a Secret`);
  assert.equal(volume.secret.secretName, 'sluice-token');
  assert.ok(!(use.container.env ?? []).some((e) => e.name === 'SLUICE_TOKEN'), 'the token is not also in the environment');
});

test('a NetworkPolicy lets only proxies reach discovery, only operators or ingress reach the API, and the API server (from anywhere) the webhook', () => {
  const policy = one(base(), 'NetworkPolicy', 'sluice-control-plane');
  const pod = podOf(base(), 'Deployment', 'sluice-control-plane');
  assert.ok(selects(policy.spec['podSelector'].matchLabels, pod.labels));
  assert.deepEqual(policy.spec['policyTypes'], ['Ingress']);
  const rules = policy.spec['ingress'] as { from: Record<string, any>[]; ports: { port: string }[] }[];
  const byPort = new Map(rules.map((r) => [r.ports.map((p) => p.port).join(','), r.from]));
  assert.deepEqual([...byPort.keys()].sort(), ['api', 'discovery', 'webhook']);
  assert.equal(byPort.get('webhook'), undefined, 'no `from`: the API server calls from outside the pod network');
  assert.deepEqual(byPort.get('discovery'), [{ namespaceSelector: {}, podSelector: { matchLabels: { 'sluice.dev/proxy': 'true' } } }]);
  assert.deepEqual(byPort.get('api'), [
    { namespaceSelector: {}, podSelector: { matchLabels: { 'sluice.dev/api-client': 'true' } } },
    { namespaceSelector: { matchLabels: { 'sluice.dev/api-access': 'true' } } },
  ]);
});

test('the sidecar example runs a Sluice sidecar with inbound and outbound listeners and no iptables', () => {
  const { objects } = render('deploy/examples/sidecar-app');
  const hello = sluiceUses([podOf(objects, 'Deployment', 'hello')])[0];
  assert.ok(hello, 'hello has a Sluice container');
  assert.equal(hello.command, 'proxy');
  for (const flag of ['--outbound-listen', '--inbound-listen', '--app-port']) assert.ok(flagValue(hello, flag), `hello's sidecar has ${flag}`);
  assert.equal(hello.container.restartPolicy, 'Always', 'a native sidecar: an init container that keeps running');
  for (const pod of podTemplates('deploy/examples/sidecar-app', objects)) {
    for (const { container, where } of containersOf(pod)) {
      const caps = (container.securityContext?.['capabilities'] as { add?: string[] } | undefined)?.add ?? [];
      assert.deepEqual(caps, [], `${where} adds no capability (no NET_ADMIN: explicit ports, not iptables)`);
    }
  }
});

test('the gateway example is a Deployment behind a Service', () => {
  const { objects } = render('deploy/examples/gateway');
  const pod = podOf(objects, 'Deployment', 'sluice-gateway');
  const [use] = sluiceUses([pod]);
  assert.equal(use?.command, 'proxy');
  assert.equal(flagValue(use, '--inbound-listen'), undefined, 'a gateway takes its listeners from Listener resources');
  assert.equal(servicesSelecting(objects, pod).length, 1);
});

test('every pod runs as non-root without privilege escalation, with resources set', () => {
  const problems: string[] = [];
  for (const dir of kustomizationDirs()) {
    for (const pod of podTemplates(dir, render(dir).objects)) {
      for (const { container, where } of containersOf(pod)) {
        const nonRoot = container.securityContext?.['runAsNonRoot'] ?? pod.spec.securityContext?.['runAsNonRoot'];
        if (nonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
        if (container.securityContext?.['allowPrivilegeEscalation'] !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
        if (container.securityContext?.['privileged'] === true) problems.push(`${where}: privileged`);
        if (container.resources?.requests?.['memory'] === undefined || container.resources.limits?.['memory'] === undefined) {
          problems.push(`${where}: no memory request and limit`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the Dockerfile is multi-stage on Node 20, installs with npm ci, builds, prunes and runs as non-root', () => {
  const text = readFileSync(join(DEPLOY_DIR, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  const args = new Map([...text.matchAll(/^ARG ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  const stages: string[] = [];
  for (const line of lines.filter((l) => l.startsWith('FROM '))) {
    const [, from = '', , name] = line.split(/\s+/);
    const image = from.replace(/^\$\{([A-Z_]+)\}$/, (all, arg: string) => args.get(arg) ?? all);
    assert.ok(/^node:20-/.test(image) || stages.includes(image), `stage ${name ?? stages.length} starts from ${image}, not Node 20 or an earlier stage`);
    stages.push(name ?? '');
  }
  assert.ok(stages.length >= 2, 'several stages');
  assert.match(args.get('NODE_IMAGE') ?? '', /^node:20-[a-z]+-slim$/);
  assert.match(text, /\bnpm ci\b/);
  assert.match(text, /\bnpm run build\b/);
  assert.match(text, /\bnpm prune --omit=dev\b/);
  const users = lines.filter((l) => l.startsWith('USER ')).map((l) => l.slice(5).trim());
  assert.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users[users.length - 1] as string), `runs as ${users.at(-1)}`);
});
