// Renders deploy/ with `kubectl kustomize`: finds the kustomizations and kubectl, and parses what
// kubectl prints into objects.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../support/repo-root.js';

export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** A rendered Kubernetes object; fields past the type and object metadata are left to the schemas. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Every directory under deploy/ holding a kustomization.yaml, as repo-relative paths, sorted. */
export function kustomizationDirs(dir = DEPLOY_DIR): string[] {
  const found: string[] = [];
  if (existsSync(join(dir, 'kustomization.yaml'))) found.push(relative(REPO_ROOT, dir));
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...kustomizationDirs(path));
  }
  return found.sort();
}

export const KUBECTL_MISSING =
  'kubectl is not installed: the deploy tests render deploy/ with `kubectl kustomize`.\n' +
  'On Debian or Ubuntu, as root: apt-get update && apt-get install -y kubernetes-client\n' +
  '(or set KUBECTL to a kubectl binary). Debian 12\'s kubectl 1.20 bundles kustomize v2.0.3, which\n' +
  'renders deploy/base and deploy/examples but not deploy/overlays (`patches` needs kustomize v4,\n' +
  'kubectl 1.21 or later).';

/** The kubectl binary: $KUBECTL, then PATH, then /usr/bin/kubectl. Throws saying what to install. */
export function kubectlBinary(): string {
  const candidates = [
    process.env['KUBECTL'],
    ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'kubectl')),
    '/usr/bin/kubectl',
    '/usr/local/bin/kubectl',
  ];
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  if (found === undefined) throw new Error(KUBECTL_MISSING);
  return found;
}

export interface Rendering {
  readonly dir: string;
  readonly objects: readonly K8sObject[];
  /** What kubectl printed on stderr (deprecation warnings would show here). */
  readonly warnings: string;
}

const cache = new Map<string, Rendering>();

/** `kubectl kustomize <dir>` (dir relative to the repository), parsed; throws with kubectl's error. */
export function render(dir: string): Rendering {
  const cached = cache.get(dir);
  if (cached !== undefined) return cached;
  const kubectl = kubectlBinary();
  const run = spawnSync(kubectl, ['kustomize', dir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
  if (run.error !== undefined) throw new Error(`${kubectl} kustomize ${dir} could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${kubectl} kustomize ${dir} exited with ${run.status}:\n${run.stderr}`);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(run.stdout)) {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  const rendering = { dir, objects, warnings: run.stderr.trim() };
  cache.set(dir, rendering);
  return rendering;
}

/** Kinds that belong to no namespace (kustomize's `namespace:` leaves them alone) among those deploy/ renders. */
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ClusterRole', 'ClusterRoleBinding']);

export function isNamespaced(object: K8sObject): boolean {
  return !CLUSTER_SCOPED_KINDS.has(object.kind);
}

/** `Kind/namespace/name` in `dir`, for messages. */
export function describe(dir: string, object: K8sObject): string {
  const ns = object.metadata.namespace === undefined ? '' : `${object.metadata.namespace}/`;
  return `${dir}: ${object.kind}/${ns}${object.metadata.name}`;
}
