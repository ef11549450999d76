// The worker side of `sluice proxy --workers N`: applies what the primary sends and answers for
// metrics and /clusters.
import { clusterReports } from '../metrics/cluster-report.js';
import type { ProxyRuntime } from './proxy-runtime.js';
import { resourcesFromJson } from './resources-json.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

export function runWorker(runtime: ProxyRuntime): void {
  const send = (m: FromWorker): void => {
    process.send?.(m);
  };
  process.on('message', (raw: unknown) => {
    const m = raw as ToWorker;
    if (m?.sluice === 'apply') {
      const parsed = resourcesFromJson(m.resources);
      if (!parsed.ok) return send({ sluice: 'applied', id: m.id, ok: false, errors: parsed.errors });
      runtime.apply(parsed.set, m.userFilters, m.baseDir).then(
        (r) => send({ sluice: 'applied', id: m.id, ok: r.ok, errors: r.ok ? [] : r.errors }),
        (err: Error) => send({ sluice: 'applied', id: m.id, ok: false, errors: [{ path: 'worker', message: err.message }] }),
      );
    } else if (m?.sluice === 'metrics') {
      runtime.mesh.metrics.json().then(
        (metrics) => send({ sluice: 'metrics', id: m.id, metrics }),
        () => send({ sluice: 'metrics', id: m.id, metrics: [] }),
      );
    } else if (m?.sluice === 'clusters') {
      send({ sluice: 'clusters', id: m.id, clusters: clusterReports(runtime.mesh.snapshot?.clusters.values() ?? [], runtime.mesh.metrics) });
    }
  });
  // Messages sent before this listener existed would be lost: the primary waits for this hello.
  send({ sluice: 'hello', id: 0 });
  process.on('SIGTERM', () => {
    void runtime.mesh.close().finally(() => {
      runtime.accessLog?.flush();
      process.exit(0);
    });
  });
}
