// Brings a started mesh to its first configuration: one apply of every resource, then waits until
// every proxy runs it (the fleet-wide /v1/rollout of the replica applied to) and has opened the main
// and secure listeners (found in /proc).
import type { Mesh, Replica } from './mesh-processes.js';
import { listeningPort } from './process-sockets.js';
import { LISTEN, type Resource } from './scenario-resources.js';
import { until } from '../../support/until.js';
import { replicaPid } from '../../support/replica-pid.js';

export interface Rollout {
  readonly revision: number;
  readonly proxies: number;
  readonly at: number;
  readonly behind: number;
  readonly rejecting: number;
  readonly errors: unknown[];
}

export async function rolloutOf(api: string, token: string, revision?: number): Promise<Rollout> {
  const res = await fetch(`${api}/v1/rollout${revision === undefined ? '' : `?revision=${revision}`}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  return (await res.json()) as Rollout;
}

/**
 * The node ids of the proxies streaming from `replica`. Any replica lists the whole fleet, each proxy
 * with the id of the replica it streams from; a replica's id carries its pid (replica-pid.ts).
 */
export async function connectedTo(replica: Replica, token: string): Promise<string[]> {
  const res = await fetch(`${replica.api}/v1/proxies`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { proxies: Array<{ nodeId: string; replica: string }> };
  return body.proxies.filter((p) => replicaPid(p.replica) === replica.process.child.pid).map((p) => p.nodeId);
}

/** Per proxy (in mesh order), its port on LISTEN.main and on LISTEN.secure. */
export interface ListenerPorts {
  readonly main: number[];
  readonly secure: number[];
}

export async function configureMesh(mesh: Mesh, resources: readonly Resource[]): Promise<ListenerPorts> {
  const api = mesh.replicas[mesh.replicas.length - 1]!.api;
  const applied = await fetch(`${api}/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mesh.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resources }),
  });
  if (applied.status !== 200) throw new Error(`initial apply: ${applied.status} ${await applied.text()}`);
  // Any replica answers for the whole fleet: the one applied to must count every proxy at the
  // revision the apply returned.
  const { revision } = (await applied.json()) as { revision: number };
  let seen: Rollout | undefined;
  await until(`every proxy at the initial revision ${revision} (/v1/rollout)`, async () => {
    seen = await rolloutOf(api, mesh.token, revision);
    return seen.at === mesh.proxies.length ? seen : undefined;
  }, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(seen)}\n${mesh.proxies.map((p) => `${p.nodeId}: ${p.process.stdout.slice(-1500)}${p.process.stderr.slice(-1500)}`).join('\n')}`);
  });
  const ports = (address: string): Promise<number[]> => Promise.all(mesh.proxies.map((p) => until(`${p.nodeId} listening on ${address}`, () => listeningPort(p.pid, address), 10_000)));
  return { main: await ports(LISTEN.main), secure: await ports(LISTEN.secure) };
}
