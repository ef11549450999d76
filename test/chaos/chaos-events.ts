// The chaos run's events, each a real failure done to a real process, with the figures of its
// recovery and what did not recover: an upstream SIGKILLed and started again, a control-plane replica
// SIGKILLed (proxies fail over) and restarted, an etcd member killed and restarted, etcd compacted
// while the replicas' watches are open, and a proxy worker SIGKILLed (its primary forks another).
import { CONTROL_PLANE_DEFAULTS } from '../../control-plane/src/cli/control-plane-options.js';
import { DEFAULT_LEADER_LEASE_TTL_SECONDS } from '../../control-plane/src/store/leader-election.js';
import type { ChangeDriver } from '../e2e/scenario/change-driver.js';
import { connectedTo } from '../e2e/scenario/mesh-configured.js';
import type { Mesh } from '../e2e/scenario/mesh-processes.js';
import { acceptedClientPorts, childPids } from '../e2e/scenario/process-sockets.js';
import { LISTEN } from '../e2e/scenario/scenario-resources.js';
import { etcdctl } from '../support/etcdctl.js';
import { until } from '../support/until.js';
import type { ChaosLedger } from './chaos-ledger.js';
import type { PlannedEvent } from './chaos-schedule.js';
import { replicaPid } from '../support/replica-pid.js';
import { parseFleetKey } from '../../control-plane/src/discovery/fleet-status-keys.js';
import { listKeys, storeRevision } from './store-keys.js';
import type { UpstreamProcess } from './upstream-processes.js';
import type { WriteTargets } from './write-targets.js';

export interface ChaosContext {
  readonly mesh: Mesh;
  readonly upstreams: ReadonlyMap<string, UpstreamProcess>;
  readonly ledger: ChaosLedger;
  readonly driver: ChangeDriver;
  readonly targets: WriteTargets;
  readonly log: (line: string) => void;
  /** Resolves `ms` after the run started (the schedule's clock). */
  readonly at: (ms: number) => Promise<void>;
  /** Checks that outlive their event (a killed replica's keys expiring); awaited before the report. */
  readonly background: Array<Promise<void>>;
  /** What processes that are gone logged (a killed replica), by name. */
  readonly retiredLogs: Array<{ name: string; text: string }>;
}

export interface EventRecord {
  readonly title: string;
  readonly figures: string[];
  /** What did not happen as it must: each is a failed check. */
  readonly problems: string[];
}

/** A killed replica's leased keys must be gone this long after its lease TTL (etcd expires leases on its leader's clock). */
const EXPIRY_MARGIN_MS = 3000;
/**
 * A client learns that its connection died when its event loop next reads the socket; on this loaded
 * machine that is well within this. Requests it started later on that connection were its own doing.
 */
const DEATH_VISIBLE_WITHIN_MS = 2000;

const ms = (since: number): string => `${Date.now() - since} ms`;

interface EndpointView { port: number; healthy: boolean; ejected: number }

async function endpointOn(admin: string, cluster: string, port: number): Promise<EndpointView | undefined> {
  const res = await fetch(`${admin}/clusters`, { signal: AbortSignal.timeout(3000) });
  const body = (await res.json()) as { clusters: Array<{ name: string; endpoints: EndpointView[] }> };
  return body.clusters.find((c) => c.name === cluster)?.endpoints.find((e) => e.port === port);
}

/** Waits until `ok` holds for the endpoint on every proxy; undefined, or the problem with what each proxy showed last. */
async function onEveryProxy(ctx: ChaosContext, what: string, cluster: string, port: number, ok: (e: EndpointView | undefined) => boolean, deadlineMs: number): Promise<string | undefined> {
  let last: Array<EndpointView | undefined> = [];
  try {
    await until(what, async () => {
      last = await Promise.all(ctx.mesh.proxies.map((p) => endpointOn(p.admin, cluster, port)));
      return last.every(ok) ? true : undefined;
    }, Math.max(1000, deadlineMs), 200);
    return undefined;
  } catch (err) {
    const seen = last.map((e, i) => `${ctx.mesh.proxies[i]?.nodeId ?? i}: ${JSON.stringify(e ?? null)}`).join('; ');
    return `${(err as Error).message} (last seen: ${seen})`;
  }
}

async function killUpstream(ctx: ChaosContext, ev: PlannedEvent, rec: EventRecord, slotEnd: number): Promise<void> {
  const { name, cluster } = ev.upstream!;
  const victim = ctx.upstreams.get(name)!;
  const killedAt = Date.now();
  // What the kill makes inevitable: an upload (a POST, not idempotent) in flight to this upstream
  // when it died. Its body may have been processed, so the proxy must not send it again (RFC 9110
  // §9.2.2) and answers 502 upstream-reset. Only uploads, only to the killed upstream's cluster, only
  // those in flight at the kill. Every GET must succeed: the routes retry connect failures and resets.
  ctx.ledger.allow((lane, f) =>
    lane.name.startsWith('upload ') && cluster === 'pool' && f.startedAt <= killedAt && f.endedAt >= killedAt && (f.reset || /status 502 upstream-reset/.test(f.message ?? ''))
      ? `upload (POST) in flight to ${name} when it was SIGKILLed: not idempotent, so not resent`
      : undefined);
  await victim.kill();
  ctx.log(`${name} (${cluster}, port ${victim.port}) SIGKILLed`);
  const out = await onEveryProxy(ctx, `${name} out of service on every proxy`, cluster, victim.port, (e) => e === undefined || !e.healthy || e.ejected > 0, ev.downMs);
  rec.figures.push(out === undefined ? `out of service on every proxy after ${ms(killedAt)}` : `still in service on some proxy while dead: ${out}`);
  await ctx.at(ev.atMs + ev.downMs);
  const startedAt = Date.now();
  await victim.start();
  ctx.log(`${name} started again on port ${victim.port}`);
  const back = await onEveryProxy(ctx, `${name} back in service on every proxy`, cluster, victim.port, (e) => e !== undefined && e.healthy && e.ejected === 0, slotEnd - Date.now());
  if (back === undefined) rec.figures.push(`back in service on every proxy ${ms(startedAt)} after its restart`);
  else rec.problems.push(`${name} did not come back: ${back}`);
}

/** Keys in etcd a replica wrote (its health entries, registrations, proxy status, election key). */
async function keysOf(ctx: ChaosContext, pid: number): Promise<string[]> {
  const { keys } = await listKeys(ctx.mesh.etcd.endpoints);
  return keys.filter((k) => {
    if (k.key.startsWith('/sluice/leader/')) return replicaPid(k.value) === pid;
    const fleet = parseFleetKey(k.key);
    if (fleet !== undefined) return replicaPid(fleet.replica) === pid;
    if (!k.key.startsWith('/sluice/health/') && !k.key.startsWith('/sluice/registrations/')) return false;
    try {
      return replicaPid(String((JSON.parse(k.value) as { replica?: unknown }).replica)) === pid;
    } catch {
      return false;
    }
  }).map((k) => k.key);
}

async function killReplica(ctx: ChaosContext, ev: PlannedEvent, rec: EventRecord): Promise<void> {
  const { mesh } = ctx;
  const [a, b] = [mesh.replicas[0]!, mesh.replicas[1]!];
  const [onA, onB] = [await connectedTo(a, mesh.token), await connectedTo(b, mesh.token)];
  // The one serving more proxies: the kill always moves some.
  const [victim, survivor] = onA.length >= onB.length ? [a, b] : [b, a];
  const pid = victim.process.child.pid!;
  const before = await keysOf(ctx, pid);
  ctx.targets.remove(victim);
  await ctx.driver.settled();
  const killedAt = Date.now();
  await mesh.killReplica(victim);
  ctx.log(`${victim.name} (pid ${pid}, ${Math.max(onA.length, onB.length)} proxies, ${before.length} keys) SIGKILLed`);
  try {
    await until(`every proxy streaming from ${survivor.name}`, async () => ((await connectedTo(survivor, mesh.token)).length === mesh.proxies.length ? true : undefined), Math.max(1000, ev.downMs), 100);
    rec.figures.push(`every proxy on ${survivor.name} ${ms(killedAt)} after the kill`);
  } catch (err) {
    rec.problems.push(`proxies did not fail over to ${survivor.name}: ${(err as Error).message}`);
  }
  // Its leases expire without it: every key it kept must be gone within the longer TTL.
  const ttlMs = Math.max(CONTROL_PLANE_DEFAULTS.leaseTtlSeconds, DEFAULT_LEADER_LEASE_TTL_SECONDS) * 1000;
  ctx.background.push((async () => {
    let left: string[] = before;
    try {
      await until(`the keys of killed ${victim.name} gone`, async () => ((left = await keysOf(ctx, pid)).length === 0 ? true : undefined), ttlMs + EXPIRY_MARGIN_MS, 250);
      rec.figures.push(`its ${before.length} keys gone ${ms(killedAt)} after the kill (lease TTL ${ttlMs / 1000} s)`);
    } catch {
      rec.problems.push(`${left.length} keys of killed ${victim.name} still in etcd ${ms(killedAt)} after the kill (lease TTL ${ttlMs / 1000} s): ${left.slice(0, 5).join(', ')}`);
    }
  })());
  await ctx.at(ev.atMs + ev.downMs);
  ctx.retiredLogs.push({ name: `${victim.name} (killed)`, text: `${victim.process.stdout}\n${victim.process.stderr}` });
  const restartAt = Date.now();
  try {
    const fresh = await mesh.restartReplica(victim);
    ctx.targets.add(fresh);
    rec.figures.push(`restarted, ready in ${ms(restartAt)}`);
    ctx.log(`${victim.name} restarted (pid ${fresh.process.child.pid})`);
  } catch (err) {
    rec.problems.push(`${victim.name} did not restart: ${(err as Error).message.slice(0, 500)}`);
  }
}

async function cycleEtcdMember(ctx: ChaosContext, ev: PlannedEvent, rec: EventRecord): Promise<void> {
  const m = ev.member!;
  await ctx.mesh.etcd.killMember(m);
  ctx.log(`etcd member m${m} (${ctx.mesh.etcd.endpoint(m)}) SIGKILLed`);
  await ctx.at(ev.atMs + ev.downMs);
  const restartAt = Date.now();
  try {
    await ctx.mesh.etcd.restartMember(m);
    rec.figures.push(`m${m} down ${ev.downMs / 1000} s, then every member healthy ${ms(restartAt)} after its restart`);
    ctx.log(`etcd member m${m} restarted`);
  } catch (err) {
    rec.problems.push(`etcd member m${m} did not come back: ${(err as Error).message.slice(0, 500)}`);
  }
}

async function compact(ctx: ChaosContext, rec: EventRecord, slotEnd: number): Promise<void> {
  const endpoints = ctx.mesh.etcd.endpoints;
  const revision = await storeRevision(endpoints);
  const at = Date.now();
  await etcdctl(endpoints, 'compact', String(revision));
  ctx.log(`etcd compacted at revision ${revision}`);
  rec.figures.push(`compacted at revision ${revision}`);
  // The replicas' watches stay open across it: a write accepted after it must still reach every proxy.
  try {
    const next = await until('a change accepted after the compaction', () => (ctx.driver.counts.lastRevision > revision ? ctx.driver.counts.lastRevision : undefined), 10_000);
    await until(`every proxy at revision ${next} or later`, async () => {
      const dumps = await Promise.all(ctx.mesh.proxies.map(async (p) => ((await (await fetch(`${p.admin}/config_dump`, { signal: AbortSignal.timeout(3000) })).json()) as { revision?: number }).revision ?? 0));
      return dumps.every((r) => r >= next) ? true : undefined;
    }, Math.max(1000, slotEnd - Date.now()), 100);
    rec.figures.push(`the first change after it (revision ${next}) on every proxy ${ms(at)} after the compaction`);
  } catch (err) {
    rec.problems.push(`changes stopped reaching the proxies after the compaction: ${(err as Error).message}`);
  }
}

async function killWorker(ctx: ChaosContext, rec: EventRecord): Promise<void> {
  const addresses = [LISTEN.main, LISTEN.secure];
  // The worker holding the most client connections: its death takes the most along.
  const candidates = ctx.mesh.proxies.flatMap((proxy) => childPids(proxy.pid).map((pid) => ({ proxy, pid, ports: acceptedClientPorts(pid, addresses) })));
  const victim = candidates.sort((x, y) => y.ports.length - x.ports.length)[0];
  if (victim === undefined) return void rec.problems.push('no proxy worker found under /proc');
  const { proxy, pid } = victim;
  const workers = childPids(proxy.pid).length;
  const held = new Set(victim.ports);
  const killedAt = Date.now();
  // What the kill makes inevitable: a request or session in flight on a connection this worker held
  // (the process that owned its bytes is gone; the client sees the connection reset or closed, and a
  // request already sent on it may have reached the upstream, so it cannot be resent blindly). Only
  // connection-level ends count, only on this proxy's lanes, only for requests started before the
  // client could have seen the connection die. A connection the client had open but idle is not a
  // failure: its next GET goes out again on a new connection (the lanes' RFC 9112 §9.3.1 retry).
  ctx.ledger.allow((lane, f) =>
    f.reset && f.localPort !== undefined && held.has(f.localPort) && lane.name.endsWith(` ${proxy.nodeId}`) && f.endedAt >= killedAt && f.startedAt <= killedAt + DEATH_VISIBLE_WITHIN_MS
      ? `in flight on a connection held by the SIGKILLed worker of ${proxy.nodeId}`
      : undefined);
  process.kill(pid, 'SIGKILL');
  ctx.log(`worker ${pid} of ${proxy.nodeId} (${held.size} client connections) SIGKILLed`);
  rec.figures.push(`worker ${pid} of ${proxy.nodeId} held ${held.size} client connections`);
  try {
    await until(`a replacement for worker ${pid}`, () => {
      const now = childPids(proxy.pid);
      return now.length >= workers && !now.includes(pid) ? true : undefined;
    }, 15_000);
    await until(`${proxy.nodeId} ready`, async () => ((await fetch(`${proxy.admin}/ready`, { signal: AbortSignal.timeout(2000) })).status === 200 ? true : undefined), 15_000);
    rec.figures.push(`replaced, ${proxy.nodeId} ready again ${ms(killedAt)} after the kill`);
  } catch (err) {
    rec.problems.push(`worker ${pid} of ${proxy.nodeId} was not replaced: ${(err as Error).message}`);
  }
}

export function eventTitle(ev: PlannedEvent): string {
  switch (ev.kind) {
    case 'upstream': return `upstream ${ev.upstream!.name} (${ev.upstream!.cluster}) SIGKILLed, back after ${ev.downMs / 1000} s`;
    case 'replica': return `control-plane replica SIGKILLed, restarted after ${ev.downMs / 1000} s`;
    case 'etcd-member': return `etcd member m${ev.member} killed, restarted after ${ev.downMs / 1000} s`;
    case 'compaction': return 'etcd compacted to its current revision';
    case 'worker': return 'proxy worker SIGKILLed';
  }
}

/** Runs one event; resolves when its recovery is done (the quiet time after it is the caller's). */
export async function runEvent(ctx: ChaosContext, ev: PlannedEvent, rec: EventRecord): Promise<void> {
  const slotEnd = Date.now() + ev.slotMs;
  try {
    switch (ev.kind) {
      case 'upstream': return await killUpstream(ctx, ev, rec, slotEnd);
      case 'replica': return await killReplica(ctx, ev, rec);
      case 'etcd-member': return await cycleEtcdMember(ctx, ev, rec);
      case 'compaction': return await compact(ctx, rec, slotEnd);
      case 'worker': return await killWorker(ctx, rec);
    }
  } catch (err) {
    rec.problems.push(`the event failed: ${(err as Error).message.slice(0, 500)}`);
  }
}
