// What a Prometheus scrape job makes of a pod template: the targets Kubernetes pod discovery gives (one
// per declared container port, init containers included, or one bare target for a pod without ports,
// each with the __meta_kubernetes_pod_* labels), then the job's relabel_configs, then one of each set of
// identical targets (Prometheus scrapes a target once). Only the relabel actions the scrape config uses
// are known; any other fails the check instead of being misread.
import type { PodTemplate } from './manifest-uses.js';

export interface RelabelRule {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly replacement?: string;
  readonly target_label?: string;
  readonly action?: string;
}

export interface ScrapeJob {
  readonly job_name: string;
  readonly kubernetes_sd_configs?: ReadonlyArray<{ readonly role: string; readonly namespaces?: { readonly names?: readonly string[] } }>;
  readonly relabel_configs?: readonly RelabelRule[];
}

/** A target after relabeling: its labels, `__address__` and `__metrics_path__` among them. */
export type Target = Readonly<Record<string, string>>;

/** The address discovery gives every pod (the template has none). */
export const POD_IP = '10.1.2.3';

const metaName = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

function discovered(pod: PodTemplate, job: ScrapeJob): Array<Record<string, string>> {
  const sd = job.kubernetes_sd_configs?.[0];
  if (sd?.role !== 'pod') throw new Error(`job ${job.job_name}: only kubernetes_sd_configs role pod is simulated`);
  const names = sd.namespaces?.names;
  if (names !== undefined && !names.includes(pod.namespace)) return [];
  const meta: Record<string, string> = {
    job: job.job_name,
    __scheme__: 'http',
    __metrics_path__: '/metrics',
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: `${pod.owner.metadata.name}-0`,
    __meta_kubernetes_pod_ip: POD_IP,
  };
  for (const [k, v] of Object.entries(pod.labels)) meta[`__meta_kubernetes_pod_label_${metaName(k)}`] = v;
  for (const [k, v] of Object.entries(pod.annotations)) meta[`__meta_kubernetes_pod_annotation_${metaName(k)}`] = v;
  const ports = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
  return ports.length === 0 ? [{ ...meta, __address__: POD_IP }] : ports.map((port) => ({ ...meta, __address__: `${POD_IP}:${port}` }));
}

/** One rule on one target's labels; false when the rule drops the target. */
function relabel(labels: Record<string, string>, rule: RelabelRule): boolean {
  const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
  const match = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).exec(value);
  switch (rule.action ?? 'replace') {
    case 'keep':
      return match !== null;
    case 'drop':
      return match === null;
    case 'replace':
      if (match !== null && rule.target_label !== undefined) {
        labels[rule.target_label] = (rule.replacement ?? '$1').replace(/\$\{?(\d+)\}?/g, (_, i: string) => match[Number(i)] ?? '');
      }
      return true;
    default:
      throw new Error(`relabel action ${rule.action} is not simulated`);
  }
}

/** The targets `job` scrapes for `pod`, without the __meta_ labels, duplicates removed. */
export function scrapeTargets(pod: PodTemplate, job: ScrapeJob): Target[] {
  const kept = new Map<string, Target>();
  for (const labels of discovered(pod, job)) {
    if (!(job.relabel_configs ?? []).every((rule) => relabel(labels, rule))) continue;
    const target = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__meta_')).sort(([a], [b]) => a.localeCompare(b)));
    kept.set(JSON.stringify(target), target);
  }
  return [...kept.values()];
}
