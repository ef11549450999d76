// The manifests refer to each other by name, label and port; Kubernetes accepts a dangling reference
// silently and the failure shows only in a cluster. Each reference is followed here: Services and
// budgets to pods, ports by name, proxies to the discovery Service, the control plane to the etcd
// members, the token file to its Secret, $(VAR)s to their definitions, and the examples' Sluice
// resources (mesh.yaml) through the Sluice model's own validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { checkChangeSet } from '../../proto/src/model/change-set.js';
import { ResourceSet } from '../../proto/src/model/resource-set.js';
import type { Resource } from '../../proto/src/model/kinds.js';
import { formatFieldErrors, type FieldError } from '../../proto/src/model/field-error.js';
import { REPO_ROOT } from '../support/repo-root.js';
import { describe, kustomizationDirs, render, type K8sObject } from './support/kustomize.js';
import {
  containersOf, flagValue, httpUses, podTemplates, referencedVariables, resolvePort, selects, sluiceUses, splitHostPort,
  type PodTemplate, type SluiceUse,
} from './support/manifest-uses.js';

interface ServicePort { name?: string; port: number; targetPort?: string | number }
const specOf = (o: K8sObject): Record<string, any> => o['spec'] as Record<string, any>;
const pods = (dir: string): PodTemplate[] => podTemplates(dir, render(dir).objects);
const allPods = (): PodTemplate[] => kustomizationDirs().flatMap(pods);
const allSluice = (): SluiceUse[] => sluiceUses(allPods());

/** The pods `selector` picks in `objects`'s namespace. */
function selected(dir: string, namespace: string | undefined, selector: Record<string, string> | undefined): PodTemplate[] {
  return pods(dir).filter((p) => p.namespace === namespace && selects(selector, p.labels));
}

for (const dir of kustomizationDirs()) {
  test(`${dir}: every Service selects pods that have each of its target ports`, () => {
    const problems: string[] = [];
    for (const svc of render(dir).objects.filter((o) => o.kind === 'Service')) {
      const targets = selected(dir, svc.metadata.namespace, specOf(svc)['selector']);
      if (targets.length === 0) problems.push(`${describe(dir, svc)} selects no pod`);
      for (const p of specOf(svc)['ports'] as ServicePort[]) {
        for (const pod of targets) {
          if (!pod.spec.containers.concat(pod.spec.initContainers ?? []).some((c) => resolvePort(c, p.targetPort ?? p.port) !== undefined)) {
            problems.push(`${describe(dir, svc)} port ${p.port} targets ${p.targetPort}, which ${pod.owner.metadata.name}'s containers do not declare`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test(`${dir}: every budget and network policy selects pods, and a policy's ports are theirs`, () => {
    const problems: string[] = [];
    for (const o of render(dir).objects.filter((x) => x.kind === 'PodDisruptionBudget' || x.kind === 'NetworkPolicy')) {
      const selector = o.kind === 'NetworkPolicy' ? specOf(o)['podSelector'] : specOf(o)['selector'];
      const targets = selected(dir, o.metadata.namespace, selector?.matchLabels);
      if (targets.length === 0) problems.push(`${describe(dir, o)} selects no pod`);
      for (const rule of (specOf(o)['ingress'] ?? []) as { ports?: { port: string | number }[] }[]) {
        for (const { port } of rule.ports ?? []) {
          for (const pod of targets) {
            if (!pod.spec.containers.some((c) => resolvePort(c, port) !== undefined)) problems.push(`${describe(dir, o)} port ${port} is not a port of ${pod.owner.metadata.name}`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
  });
}

test('every probe and scrape annotation names a port of its own container', () => {
  const problems: string[] = [];
  for (const pod of allPods()) {
    for (const use of containersOf(pod)) {
      for (const h of httpUses(use)) if (h.port === undefined) problems.push(`${use.where}: ${h.what} ${h.path} names no port of the container`);
    }
    const port = pod.annotations['prometheus.io/port'];
    if (port !== undefined && !containersOf(pod).some((u) => resolvePort(u.container, Number(port)) !== undefined)) {
      problems.push(`${pod.dir}: ${pod.owner.metadata.name} is scraped on ${port}, which no container declares`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every $(VAR) in a command line is defined in that container\'s env', () => {
  const problems: string[] = [];
  for (const pod of allPods()) {
    for (const { container, where } of containersOf(pod)) {
      const defined = new Set((container.env ?? []).map((e) => e.name));
      for (const name of referencedVariables(container)) if (!defined.has(name)) problems.push(`${where}: $(${name}) is not defined, Kubernetes would pass it literally`);
    }
  }
  assert.deepEqual(problems, []);
});

test('Sluice containers run the image entry point (`sluice`) with a command and flags only', () => {
  const problems: string[] = [];
  for (const use of allSluice()) {
    if (use.container.command !== undefined) problems.push(`${use.where}: overrides the image's entry point`);
    if (!/^[a-z][a-z-]*$/.test(use.command)) problems.push(`${use.where}: first argument "${use.command}" is not a sluice command`);
    if (use.stray.length > 0) problems.push(`${use.where}: stray arguments ${use.stray.join(' ')}`);
  }
  assert.ok(allSluice().length >= 4, 'the control plane, two sidecars and a gateway run Sluice');
  assert.deepEqual(problems, []);
});

test('a Sluice port is declared exactly when a listen flag binds it on all interfaces', () => {
  const problems: string[] = [];
  const gatewayListeners = sluiceResources('deploy/examples/gateway/mesh.yaml').filter((r) => r.kind === 'Listener');
  for (const use of allSluice()) {
    const bound = new Map<number, string>();
    for (const f of use.flags.filter((x) => x.name.endsWith('-listen'))) {
      const hp = f.value === undefined ? undefined : splitHostPort(f.value);
      if (hp === undefined) {
        problems.push(`${use.where}: ${f.name} ${f.value} is not host:port`);
        continue;
      }
      const declared = resolvePort(use.container, hp.port) !== undefined;
      const everywhere = hp.host === '0.0.0.0' || hp.host === '::';
      if (declared && !everywhere) problems.push(`${use.where}: port ${hp.port} is declared but ${f.name} binds ${hp.host} only`);
      if (!declared && everywhere) problems.push(`${use.where}: ${f.name} binds ${hp.port} on all interfaces but the container does not declare it`);
      bound.set(hp.port, f.name);
    }
    for (const p of use.container.ports ?? []) {
      const fromListener = use.pod.dir === 'deploy/examples/gateway' && gatewayListeners.some((l) => l.kind === 'Listener' && l.spec.port === p.containerPort);
      if (!bound.has(p.containerPort) && !fromListener) problems.push(`${use.where}: declares port ${p.containerPort} (${p.name}), which no listen flag or Listener binds`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the Sluice token file is a Secret key mounted into every container that reads it: the admin token for the control plane, a bootstrap token of its own service for each proxy', () => {
  const problems: string[] = [];
  for (const use of allSluice()) {
    const file = flagValue(use, '--token-file');
    // A proxy proves its service with a bootstrap token (its own key of the Secret), never the admin
    // token, and the same token gets its workload certificate.
    const service = use.command === 'proxy' ? flagValue(use, '--service') : undefined;
    const expectedKey = use.command === 'proxy' ? service ?? '(no --service)' : 'token';
    if (use.command === 'proxy' && flagValue(use, '--bootstrap-token-file') !== file) problems.push(`${use.where}: --bootstrap-token-file is not the --token-file`);
    if (file === undefined) {
      problems.push(`${use.where}: no --token-file`);
      continue;
    }
    const mount = use.container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
    const volume = use.pod.spec.volumes?.find((v) => v.name === mount?.name);
    const key = file.slice((mount?.mountPath.length ?? 0) + 1);
    const items = volume?.secret?.items;
    if (volume?.secret?.secretName !== 'sluice-token') problems.push(`${use.where}: ${file} is not in the Secret sluice-token`);
    else if (!(items ?? []).some((i) => i.path === key && i.key === expectedKey)) problems.push(`${use.where}: ${file} is not the Secret's key "${expectedKey}"`);
  }
  assert.deepEqual(problems, []);
});

test('etcd and the control plane speak TLS with client certificates, and every file they read is a key of a mounted Secret', () => {
  const pods = podTemplates('deploy/base', render('deploy/base').objects);
  const etcd = containersOf(pods.find((p) => p.owner.metadata.name === 'sluice-etcd')!).find((u) => u.container.name === 'etcd');
  assert.ok(etcd);
  const etcdArgs = etcd.container.args ?? [];
  for (const flag of ['--client-cert-auth=true', '--peer-client-cert-auth=true']) assert.ok(etcdArgs.includes(flag), `etcd runs with ${flag}`);
  const controlPlane = sluiceUses(pods).find((u) => u.command === 'control-plane');
  assert.ok(controlPlane);
  const files: Array<{ where: string; use: { container: typeof etcd.container; pod: typeof etcd.pod }; path: string }> = [];
  for (const flag of ['--trusted-ca-file', '--cert-file', '--key-file', '--peer-trusted-ca-file', '--peer-cert-file', '--peer-key-file']) {
    const path = etcdArgs.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
    assert.ok(path, `etcd runs with ${flag}`);
    files.push({ where: `etcd ${flag}`, use: etcd, path });
  }
  for (const flag of ['--etcd-ca', '--etcd-cert', '--etcd-key', '--encryption-key-file']) {
    const path = flagValue(controlPlane, flag);
    assert.ok(path, `the control plane runs with ${flag}`);
    files.push({ where: `control plane ${flag}`, use: controlPlane, path });
  }
  const problems: string[] = [];
  for (const { where, use, path } of files) {
    const mount = use.container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    const volume = use.pod.spec.volumes?.find((v) => v.name === mount?.name);
    const key = path.slice((mount?.mountPath.length ?? 0) + 1);
    if (volume?.secret === undefined) problems.push(`${where}: ${path} is not on a Secret volume`);
    else if (!(volume.secret.items ?? []).some((i) => i.path === key)) problems.push(`${where}: ${path} is no item of the Secret ${volume.secret.secretName}`);
  }
  assert.deepEqual(problems, []);
  assert.ok((flagValue(controlPlane, '--etcd') ?? '').split(',').every((u) => u.startsWith('https://')), 'the control plane reaches etcd over https://');
});

test('the control plane is told the transaction limits etcd runs with', () => {
  let checked = 0;
  for (const dir of kustomizationDirs()) {
    const found = pods(dir);
    const etcd = found.find((p) => p.owner.metadata.name === 'sluice-etcd');
    const controlPlane = sluiceUses(found).find((u) => u.command === 'control-plane');
    if (etcd === undefined || controlPlane === undefined) continue;
    const etcdArgs = containersOf(etcd).find((u) => u.container.name === 'etcd')?.container.args ?? [];
    for (const [etcdFlag, ours] of [['--max-txn-ops', '--store-max-txn-ops'], ['--max-request-bytes', '--store-max-request-bytes']] as const) {
      const etcdValue = etcdArgs.find((a) => a.startsWith(`${etcdFlag}=`))?.slice(etcdFlag.length + 1);
      assert.ok(etcdValue !== undefined, `${dir}: etcd runs with ${etcdFlag}`);
      assert.equal(flagValue(controlPlane, ours), etcdValue, `${dir}: the control plane's ${ours} is etcd's ${etcdFlag}`);
    }
    checked++;
  }
  assert.ok(checked > 0, 'some kustomization runs etcd and the control plane');
});

test('the directories Sluice writes (--state-dir) are emptyDir mounts: the root file system is read-only', () => {
  const problems: string[] = [];
  for (const use of allSluice()) {
    const dir = flagValue(use, '--state-dir');
    if (use.command === 'proxy' && dir === undefined) problems.push(`${use.where}: no --state-dir (the default lies under /tmp)`);
    if (dir === undefined) continue;
    const mount = use.container.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`));
    const volume = use.pod.spec.volumes?.find((v) => v.name === mount?.name);
    if (volume?.emptyDir === undefined) problems.push(`${use.where}: --state-dir ${dir} is not on an emptyDir volume`);
  }
  assert.deepEqual(problems, []);
});

test('every proxy reaches the discovery Service, and the control plane\'s NetworkPolicy admits it', () => {
  const baseObjects = render('deploy/base').objects;
  const controlPlane = sluiceUses(pods('deploy/base')).find((u) => u.command === 'control-plane');
  assert.ok(controlPlane);
  const discoveryPort = splitHostPort(flagValue(controlPlane, '--discovery-listen') ?? '')?.port;
  assert.ok(discoveryPort, 'the control plane has --discovery-listen host:port');
  const policy = baseObjects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'sluice-control-plane');
  assert.ok(policy);
  const rule = (specOf(policy)['ingress'] as { from: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: string | number }[] }[])
    .find((r) => r.ports.some((p) => resolvePort(controlPlane.container, p.port) === discoveryPort));
  assert.ok(rule, 'a policy rule covers the discovery port');
  const problems: string[] = [];
  for (const use of allSluice().filter((u) => u.command === 'proxy')) {
    for (const target of (flagValue(use, '--control-plane') ?? '').split(',')) {
      const hp = splitHostPort(target);
      const m = hp === undefined ? null : /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(hp.host);
      const svc = m === null ? undefined : baseObjects.find((o) => o.kind === 'Service' && o.metadata.name === m[1] && o.metadata.namespace === m[2]);
      const port = svc === undefined ? undefined : (specOf(svc)['ports'] as ServicePort[]).find((p) => p.port === hp?.port);
      if (port === undefined) problems.push(`${use.where}: --control-plane ${target} is not a port of a deploy/base Service (name.namespace.svc:port)`);
      else if (resolvePort(controlPlane.container, port.targetPort ?? port.port) !== discoveryPort) problems.push(`${use.where}: ${target} does not lead to --discovery-listen's port ${discoveryPort}`);
    }
    if (!rule.from.some((f) => selects(f.podSelector?.matchLabels, use.pod.labels))) problems.push(`${use.where}: its pod lacks the labels the control plane's NetworkPolicy admits to discovery`);
  }
  assert.deepEqual(problems, []);
});

test('the control plane\'s --etcd names every etcd member on its client port', () => {
  const objects = render('deploy/base').objects;
  const etcd = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'sluice-etcd');
  assert.ok(etcd);
  const [etcdPod] = podTemplates('deploy/base', [etcd]);
  const etcdContainer = etcdPod?.spec.containers[0];
  assert.ok(etcdContainer);
  const arg = (name: string): string => (etcdContainer.args ?? []).find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';
  const clientPort = Number(/:(\d+)$/.exec(arg('--listen-client-urls'))?.[1]);
  const peerPort = Number(/:(\d+)$/.exec(arg('--listen-peer-urls'))?.[1]);
  assert.equal(resolvePort(etcdContainer, 'client'), clientPort, 'etcd\'s `client` port is the one it listens on');
  assert.equal(resolvePort(etcdContainer, 'peer'), peerPort, 'etcd\'s `peer` port is the one it listens on');
  const replicas = specOf(etcd)['replicas'] as number;
  const peerService = specOf(etcd)['serviceName'] as string;
  const members = Array.from({ length: replicas }, (_, i) => `${etcd.metadata.name}-${i}`);
  assert.equal(arg('--initial-cluster'), members.map((m) => `${m}=https://${m}.${peerService}.$(POD_NAMESPACE).svc:${peerPort}`).join(','));
  assert.equal(arg('--initial-advertise-peer-urls'), `https://$(POD_NAME).${peerService}.$(POD_NAMESPACE).svc:${peerPort}`);
  assert.equal(arg('--advertise-client-urls'), `https://$(POD_NAME).${peerService}.$(POD_NAMESPACE).svc:${clientPort}`);
  const controlPlane = sluiceUses(pods('deploy/base')).find((u) => u.command === 'control-plane');
  assert.ok(controlPlane);
  assert.equal(flagValue(controlPlane, '--etcd'), members.map((m) => `https://${m}.${peerService}:${clientPort}`).join(','));
  const peer = objects.find((o) => o.kind === 'Service' && o.metadata.name === peerService);
  assert.ok(peer && (specOf(peer)['ports'] as ServicePort[]).some((p) => p.port === clientPort && resolvePort(etcdContainer, p.targetPort ?? p.port) === clientPort), `${peerService} serves the client port`);
});

/** The Sluice resources of an example's mesh.yaml, validated one by one with the model. */
function sluiceResources(file: string): Resource[] {
  const parsed = parseDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'), 'yaml');
  assert.ok(parsed.ok, `${file} is YAML`);
  const errors: FieldError[] = [];
  const resources: Resource[] = [];
  parsed.documents.forEach((doc, i) => {
    const r = parseResource(doc, `documents[${i}]`);
    if (r.ok) resources.push(r.resource);
    else errors.push(...r.errors);
  });
  assert.equal(formatFieldErrors(errors), '', `${file} validates with the Sluice model`);
  return resources;
}

test('the examples\' mesh.yaml files validate, in order, with every reference satisfied', () => {
  const set = new ResourceSet();
  for (const file of ['deploy/examples/sidecar-app/mesh.yaml', 'deploy/examples/gateway/mesh.yaml']) {
    const resources = sluiceResources(file);
    assert.equal(formatFieldErrors(checkChangeSet(set, { puts: resources, deletes: [] }).invalid), '', `${file}'s references`);
    resources.forEach((r) => set.put(r));
  }
});

test('the caller\'s Host header is a host of a route in the sidecar example', () => {
  const caller = pods('deploy/examples/sidecar-app').find((p) => p.owner.metadata.name === 'caller');
  const script = caller?.spec.containers.find((c) => c.name === 'caller')?.args?.join(' ') ?? '';
  const host = /Host: ([a-z0-9.-]+)/.exec(script)?.[1];
  const outbound = sluiceUses(caller === undefined ? [] : [caller])[0];
  assert.ok(host && outbound);
  assert.ok(script.includes(`http://${flagValue(outbound, '--outbound-listen')}/`), 'the caller sends to its sidecar\'s outbound listener');
  const hosts = sluiceResources('deploy/examples/sidecar-app/mesh.yaml').flatMap((r) => (r.kind === 'Route' ? r.spec.hosts : []));
  assert.ok(hosts.includes(host), `Host ${host} is routed (${hosts.join(', ')})`);
});
