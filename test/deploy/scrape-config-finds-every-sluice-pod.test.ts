// deploy/observability/prometheus.yaml, applied to the pods the manifests make: its relabeling (run
// here as Prometheus runs it, support/prometheus-pod-targets.ts) gives every control-plane pod one
// target in job sluice-control-plane, every proxy pod (sidecar or gateway) one target in job
// sluice-proxies, each at the pod's address on the port its `sluice` command serves /metrics on
// (--api-listen, --admin-listen), and nothing else a target.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/repo-root.js';
import { kustomizationDirs, render } from './support/kustomize.js';
import { flagValue, podTemplates, sluiceUses, splitHostPort, type PodTemplate } from './support/manifest-uses.js';
import { POD_IP, scrapeTargets, type ScrapeJob } from './support/prometheus-pod-targets.js';

const CONFIG = 'deploy/observability/prometheus.yaml';
/** Which job scrapes a pod running `sluice <command>`, and the flag whose port serves /metrics. */
const METRICS_OF: Record<string, { job: string; flag: string }> = {
  'control-plane': { job: 'sluice-control-plane', flag: '--api-listen' },
  proxy: { job: 'sluice-proxies', flag: '--admin-listen' },
};

const jobs = (): ScrapeJob[] => (parse(readFileSync(join(REPO_ROOT, CONFIG), 'utf8')) as { scrape_configs: ScrapeJob[] }).scrape_configs;
// The overlays render the base again: the base and the examples hold every distinct pod.
const pods = (): PodTemplate[] => kustomizationDirs().filter((d) => !d.startsWith('deploy/overlays')).flatMap((dir) => podTemplates(dir, render(dir).objects));

test(`${CONFIG} has one job per plane`, () => {
  assert.deepEqual(jobs().map((j) => j.job_name).sort(), ['sluice-control-plane', 'sluice-proxies']);
});

test('each Sluice pod is one target of its plane\'s job, on the port its command serves /metrics on; other pods none', () => {
  const problems: string[] = [];
  const scraped = new Map<string, number>();
  for (const pod of pods()) {
    const name = `${pod.dir}: ${pod.owner.kind}/${pod.owner.metadata.name}`;
    const uses = sluiceUses([pod]).filter((u) => u.command in METRICS_OF);
    const expected = uses.map((u) => {
      const { job, flag } = METRICS_OF[u.command]!;
      return { job, address: `${POD_IP}:${splitHostPort(flagValue(u, flag) ?? '')?.port}` };
    });
    for (const job of jobs()) {
      const targets = scrapeTargets(pod, job);
      const want = expected.filter((e) => e.job === job.job_name);
      if (want.length === 0) {
        if (targets.length > 0) problems.push(`${name}: job ${job.job_name} scrapes it, but it runs no ${job.job_name === 'sluice-proxies' ? 'proxy' : 'control plane'}`);
        continue;
      }
      scraped.set(job.job_name, (scraped.get(job.job_name) ?? 0) + 1);
      const got = targets.map((t) => `${t['__address__']}${t['__metrics_path__']}`);
      if (JSON.stringify(got) !== JSON.stringify([`${want[0]!.address}/metrics`])) problems.push(`${name}: job ${job.job_name} scrapes ${JSON.stringify(got)}, not ${want[0]!.address}/metrics`);
      for (const t of targets) if (t['pod'] === undefined || t['namespace'] !== pod.namespace) problems.push(`${name}: target without its pod and namespace labels`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok((scraped.get('sluice-control-plane') ?? 0) >= 1, 'no control-plane pod was checked');
  assert.ok((scraped.get('sluice-proxies') ?? 0) >= 3, 'the sidecar examples and the gateway were not all checked');
});
