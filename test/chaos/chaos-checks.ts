// The checks after the chaos run's load stopped: every proxy converges on the last write (with a
// bounded wait), the replicas agree on it, and etcd holds no key that belongs to nobody.
import type { Mesh } from '../e2e/scenario/mesh-processes.js';
import { apiView, configDifferences, expectedConfig, proxyConfig, type ApiView, type Expected } from './final-config.js';
import { keyOwners } from './orphan-keys.js';
import { leaseRemaining, listKeys } from './store-keys.js';
import { until } from '../support/until.js';

export interface ProxyConvergence {
  readonly nodeId: string;
  /** When it matched, from the start of the wait; undefined when it never did. */
  readonly ms?: number;
  readonly revision?: number;
  /** What still differed at the deadline. */
  readonly differences: readonly string[];
}

export interface Convergence {
  readonly proxies: readonly ProxyConvergence[];
  /** The revision of the API's listing the proxies were compared with, and how many resources. */
  readonly apiRevision: number;
  readonly resources: number;
  /** How the replicas' listings differ from each other (empty: they agree). */
  readonly replicaDisagreement: readonly string[];
}

export interface StoreCheck {
  readonly revision: number;
  readonly keys: number;
  readonly owners: ReadonlyMap<string, number>;
  readonly orphans: readonly string[];
}

function sameExpectation(a: ReadonlyMap<string, Expected>, b: ReadonlyMap<string, Expected>): string[] {
  const out: string[] = [];
  for (const [k, e] of a) if (b.get(k)?.version !== e.version) out.push(`${k}: ${e.version} vs ${b.get(k)?.version ?? 'missing'}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: missing vs present`);
  return out;
}

/** Waits up to `timeoutMs` until every proxy runs what the API lists (recomputed each round: health may still move). */
export async function awaitConvergence(mesh: Mesh, lastRevision: number, privateKeys: ReadonlyMap<string, string>, timeoutMs = 30_000): Promise<Convergence> {
  const start = Date.now();
  const done = new Map<string, ProxyConvergence>();
  let last: Map<string, ProxyConvergence> = new Map();
  let view: ApiView | undefined;
  let expected = new Map<string, Expected>();
  let disagreement: string[] = [];
  const round = async (): Promise<true | undefined> => {
    try {
      const views = await Promise.all(mesh.replicas.map((r) => apiView(r.api, mesh.token)));
      view = views[0]!;
      expected = expectedConfig(view, privateKeys);
      disagreement = views.slice(1).flatMap((v, i) => sameExpectation(expected, expectedConfig(v, privateKeys)).map((d) => `${mesh.replicas[0]!.name} vs ${mesh.replicas[i + 1]!.name}: ${d}`));
      last = new Map();
      for (const p of mesh.proxies) {
        if (done.has(p.nodeId)) continue;
        const got = await proxyConfig(p.admin);
        const differences = configDifferences(expected, got, lastRevision);
        const row = { nodeId: p.nodeId, revision: got.revision, differences, ...(differences.length === 0 ? { ms: Date.now() - start } : {}) };
        if (differences.length === 0) done.set(p.nodeId, row);
        else last.set(p.nodeId, row);
      }
    } catch (err) {
      for (const p of mesh.proxies) if (!done.has(p.nodeId)) last.set(p.nodeId, { nodeId: p.nodeId, differences: [(err as Error).message] });
    }
    return done.size === mesh.proxies.length && disagreement.length === 0 ? true : undefined;
  };
  // A timeout is a finding, reported with what still differed: not an error here.
  await until('every proxy at the last write', round, timeoutMs, 250).catch(() => undefined);
  return {
    proxies: mesh.proxies.map((p) => done.get(p.nodeId) ?? last.get(p.nodeId) ?? { nodeId: p.nodeId, differences: ['never compared'] }),
    apiRevision: view?.revision ?? 0,
    resources: expected.size,
    replicaDisagreement: disagreement,
  };
}

/** Every key in etcd and its owner; keys owned by nobody are orphans. */
export async function checkStore(mesh: Mesh): Promise<StoreCheck> {
  const view = await apiView(mesh.replicas[0]!.api, mesh.token);
  const listing = await listKeys(mesh.etcd.endpoints);
  const leases = new Map<string, number>();
  for (const lease of new Set(listing.keys.flatMap((k) => (k.lease === undefined ? [] : [k.lease])))) {
    const remaining = await leaseRemaining(mesh.etcd.endpoints, lease);
    if (remaining !== undefined) leases.set(lease, remaining);
  }
  const replicas = new Map<number, string>();
  for (const r of mesh.replicas) if (r.process.child.exitCode === null && r.process.child.signalCode === null) replicas.set(r.process.child.pid!, r.name);
  const { counts, orphans } = keyOwners(listing.keys, { resources: new Set(view.resources.keys()), replicas, leases });
  return { revision: listing.revision, keys: listing.keys.length, owners: counts, orphans };
}
