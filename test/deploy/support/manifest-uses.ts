// What the rendered manifests use: pod templates, their containers, the `sluice` command lines with
// their flags, ports by name, probes and scrape annotations. Plain reads of the objects; the tests
// decide what must hold.
import type { K8sObject } from './kustomize.js';

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface HttpGet {
  path?: string;
  port: string | number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  livenessProbe?: { httpGet?: HttpGet };
  readinessProbe?: { httpGet?: HttpGet };
  startupProbe?: { httpGet?: HttpGet };
  volumeMounts?: VolumeMount[];
  restartPolicy?: string;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: Record<string, unknown>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  affinity?: Record<string, unknown>;
}

/** A pod template of a workload (Deployment, StatefulSet, DaemonSet). */
export interface PodTemplate {
  readonly dir: string;
  readonly owner: K8sObject;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: PodSpec;
}

export interface ContainerUse {
  readonly pod: PodTemplate;
  readonly container: Container;
  /** `Deployment/hello container sluice-proxy` in deploy/examples/sidecar-app */
  readonly where: string;
}

export interface Flag {
  readonly name: string;
  readonly value: string | undefined;
}

/** A container that runs the Sluice image: `sluice <command> <flags>`. */
export interface SluiceUse extends ContainerUse {
  readonly command: string;
  readonly flags: readonly Flag[];
  /** Arguments after the command that are neither a flag nor a flag's value. */
  readonly stray: readonly string[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export function podTemplates(dir: string, objects: readonly K8sObject[]): PodTemplate[] {
  return objects
    .filter((o) => WORKLOADS.has(o.kind))
    .map((owner) => {
      const template = (owner['spec'] as { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } }).template;
      return {
        dir,
        owner,
        namespace: owner.metadata.namespace ?? 'default',
        labels: template.metadata?.labels ?? {},
        annotations: template.metadata?.annotations ?? {},
        spec: template.spec,
      };
    });
}

export function containersOf(pod: PodTemplate): ContainerUse[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((container) => ({
    pod,
    container,
    where: `${pod.dir}: ${pod.owner.kind}/${pod.owner.metadata.name} container ${container.name}`,
  }));
}

/** `sluice`, `sluice:0.1.0`, `registry.example/team/sluice@sha256:...` */
export function isSluiceImage(image: string): boolean {
  return /(^|\/)sluice([:@]|$)/.test(image);
}

/**
 * Splits `[command, --flag, value, --flag=value, --switch, ...]`. A flag takes the next token as
 * its value unless that token is itself a flag.
 */
export function parseCommandLine(args: readonly string[]): { command: string; flags: Flag[]; stray: string[] } {
  const [command = '', ...rest] = args;
  const flags: Flag[] = [];
  const stray: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (!token.startsWith('--')) {
      stray.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    if (eq > 0) {
      flags.push({ name: token.slice(0, eq), value: token.slice(eq + 1) });
    } else if (i + 1 < rest.length && !(rest[i + 1] as string).startsWith('--')) {
      flags.push({ name: token, value: rest[i + 1] });
      i++;
    } else {
      flags.push({ name: token, value: undefined });
    }
  }
  return { command, flags, stray };
}

export function sluiceUses(pods: readonly PodTemplate[]): SluiceUse[] {
  return pods
    .flatMap(containersOf)
    .filter((use) => isSluiceImage(use.container.image))
    .map((use) => ({ ...use, ...parseCommandLine(use.container.args ?? []) }));
}

export function flagValue(use: SluiceUse, name: string): string | undefined {
  return use.flags.find((f) => f.name === name)?.value;
}

/** A probe's or a Service's port, by name or number, as a number on this container; else undefined. */
export function resolvePort(container: Container, port: string | number): number | undefined {
  if (typeof port === 'number') return (container.ports ?? []).some((p) => p.containerPort === port) ? port : undefined;
  if (/^[0-9]+$/.test(port)) return resolvePort(container, Number(port));
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** `host:port` (also `[::]:port`) → its parts; undefined when it is not one. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(value);
  if (m === null) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The HTTP paths a container is probed or scraped on: kubelet probes and prometheus.io annotations. */
export function httpUses(use: ContainerUse): { what: string; path: string; port: number | undefined }[] {
  const out: { what: string; path: string; port: number | undefined }[] = [];
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
    const get = use.container[kind]?.httpGet;
    if (get !== undefined) out.push({ what: kind, path: get.path ?? '/', port: resolvePort(use.container, get.port) });
  }
  const a = use.pod.annotations;
  if (a['prometheus.io/scrape'] === 'true' && a['prometheus.io/port'] !== undefined) {
    const port = Number(a['prometheus.io/port']);
    if ((use.container.ports ?? []).some((p) => p.containerPort === port)) {
      out.push({ what: 'prometheus.io scrape', path: a['prometheus.io/path'] ?? '/metrics', port });
    }
  }
  return out;
}

/** Kubernetes' $(VAR) expansion in command and args: $$ escapes, unknown names stay as written. */
export function expandVariables(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all: string, name: string | undefined) =>
    name === undefined ? '$' : (values[name] ?? all));
}

/** The variables a container's command line refers to as $(NAME). */
export function referencedVariables(container: Container): Set<string> {
  const names = new Set<string>();
  for (const text of [...(container.command ?? []), ...(container.args ?? [])]) {
    for (const m of text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(m[1] as string);
  }
  return names;
}

/** Whether every label of `selector` is on `labels`. */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
