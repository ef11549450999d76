// The hosts a workload declares it calls (the union of the Sidecar resources that select it), and
// whether a route could serve a request for one of them: a route is sent when one of its host
// patterns overlaps one declared pattern (`*` overlaps everything, `*.b.c` overlaps `a.b.c` and `*.c`).
import type { Sidecar } from '../../../proto/gen/sluice/v1/sidecar_pb.js';
import { selectsWorkload, type SelectedWorkload } from '../../../proto/src/model/selects-workload.js';
import type { KindMap } from '../snapshot/snapshot.js';

export class EgressHosts {
  private readonly exact = new Set<string>();
  /** Declared `*.suffix` patterns, kept as `.suffix`. */
  private readonly suffixes: string[] = [];

  constructor(hosts: Iterable<string>) {
    for (const raw of hosts) {
      const host = raw.toLowerCase();
      if (host.startsWith('*.')) this.suffixes.push(host.slice(1));
      else this.exact.add(host);
    }
  }

  /** Whether a route with these hosts (empty: any host) could serve a declared host. */
  admits(routeHosts: readonly string[]): boolean {
    if (this.exact.size === 0 && this.suffixes.length === 0) return false; // declares it calls nothing
    if (routeHosts.length === 0) return true;
    for (const raw of routeHosts) {
      const host = raw.toLowerCase();
      if (host === '*') return true;
      if (host.startsWith('*.')) {
        const suffix = host.slice(1);
        for (const e of this.exact) if (e.endsWith(suffix)) return true;
        if (this.suffixes.some((s) => s.endsWith(suffix) || suffix.endsWith(s))) return true;
      } else if (this.exact.has(host) || this.suffixes.some((s) => host.endsWith(s))) return true;
    }
    return false;
  }
}

/**
 * What the Sidecar resources of a snapshot declare for one workload: undefined when none selects it
 * or one declares `*` (it receives every mesh-wide route, as without a declaration).
 */
export function declaredEgress(sidecars: KindMap, workload: SelectedWorkload): EgressHosts | undefined {
  let hosts: string[] | undefined;
  for (const entry of sidecars.values()) {
    const sidecar = entry.resource.spec as Sidecar;
    if (!selectsWorkload(sidecar.selector, workload)) continue;
    const declared = sidecar.egress?.hosts ?? [];
    if (declared.includes('*')) return undefined;
    (hosts ??= []).push(...declared);
  }
  return hosts === undefined ? undefined : new EgressHosts(hosts);
}
