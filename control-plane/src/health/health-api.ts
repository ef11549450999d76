// GET /v1/health: the effective health of every endpoint that has a verdict in etcd, who wrote each
// verdict and since when, and the registered sidecars. GET /v1/endpoints keeps the stored resources.
import type { ApiRoute } from '../api/api-route.js';
import { endpointId, healthName } from './health-entry.js';
import type { HealthView } from './health-view.js';

export function healthRoutes(view: HealthView): ApiRoute[] {
  return [{
    method: 'GET',
    path: '/v1/health',
    role: 'viewer',
    handler: () => {
      const byEndpoint = new Map<string, { cluster: string; address: string; port: number; verdicts: Array<{ source: string; replica: string; health: string; since: string }> }>();
      for (const e of view.allEntries()) {
        const k = `${e.cluster}/${endpointId(e.address, e.port)}`;
        let row = byEndpoint.get(k);
        if (row === undefined) byEndpoint.set(k, (row = { cluster: e.cluster, address: e.address, port: e.port, verdicts: [] }));
        row.verdicts.push({ source: e.source, replica: e.replica, health: healthName(e.health), since: e.since });
      }
      const endpoints = [...byEndpoint.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => {
        const effective = view.effectiveHealth(row.cluster).get(endpointId(row.address, row.port));
        row.verdicts.sort((a, b) => (a.source < b.source ? -1 : 1));
        // The effective health holds since the latest verdict that agrees with it.
        const since = row.verdicts.filter((v) => effective !== undefined && v.health === healthName(effective)).map((v) => v.since).sort().at(-1) ?? null;
        return { ...row, health: effective === undefined ? 'UNKNOWN' : healthName(effective), since };
      });
      const registrations = view.allRegistrations()
        .sort((a, b) => (`${a.service}/${a.nodeId}` < `${b.service}/${b.nodeId}` ? -1 : 1))
        .map((r) => ({ service: r.service, nodeId: r.nodeId, address: r.address, port: r.port, zone: r.zone, health: healthName(r.health), replica: r.replica, since: r.since }));
      return { status: 200, body: { endpoints, registrations } };
    },
  }];
}
