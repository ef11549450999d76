// Every replica's view of health in etcd: the entries under /sluice/health/ and the registrations under
// /sluice/registrations/, followed by a watch, and the effective health decided from them by the same
// rule on every replica (health-rule.ts). It is the snapshot builder's EndpointOverlay.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { EndpointOverlay, RegisteredEndpoint } from '../snapshot/effective-endpoints.js';
import type { LeaseStore } from '../store/lease-store.js';
import {
  CHECKER_SOURCE, decodeHealthEntry, decodeRegistration, endpointId, HEALTH_PREFIX, REGISTRATION_PREFIX, type HealthEntry, type Registration,
} from './health-entry.js';
import { decideHealth } from './health-rule.js';

export class HealthView implements EndpointOverlay {
  private readonly entries = new Map<string, HealthEntry>();
  private readonly registrations = new Map<string, Registration>();
  private readonly emitter = new EventEmitter();
  private watches: Array<{ close(): Promise<void> }> = [];
  private readyCount = 0;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly leases: LeaseStore, private readonly log?: Logger) {
    this.emitter.setMaxListeners(0);
  }

  /** Starts following etcd; resolves once both prefixes were read (or after `timeoutMs`). */
  async start(timeoutMs = 5000): Promise<void> {
    this.watches = [
      this.follow(HEALTH_PREFIX, this.entries, decodeHealthEntry, (e) => e.cluster),
      this.follow(REGISTRATION_PREFIX, this.registrations, decodeRegistration, (r) => r.service),
    ];
    await new Promise<void>((resolve) => {
      if (this.readyCount >= 2) return resolve();
      const timer = setTimeout(resolve, timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.close()));
  }

  clusters(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const e of this.entries.values()) out.add(e.cluster);
    for (const r of this.registrations.values()) out.add(r.service);
    return out;
  }

  /**
   * The effective health of each endpoint of `cluster` with entries: the replicas' verdicts (one vote
   * each) when any replica's proxies vouch for the endpoint; else the elected checker's. The checker
   * only checks endpoints no proxy checks, and its last verdict stays in etcd after proxies take over:
   * counting it as a vote beside theirs would let a stale HEALTHY outvote the proxies' UNHEALTHY.
   */
  effectiveHealth(cluster: string): ReadonlyMap<string, Health> {
    const proxies = new Map<string, Health[]>();
    const checker = new Map<string, Health>();
    for (const e of this.entries.values()) {
      if (e.cluster !== cluster) continue;
      const k = endpointId(e.address, e.port);
      if (e.source === CHECKER_SOURCE) {
        checker.set(k, e.health);
        continue;
      }
      const list = proxies.get(k);
      if (list === undefined) proxies.set(k, [e.health]);
      else list.push(e.health);
    }
    const out = new Map<string, Health>();
    for (const [k, list] of proxies) {
      const h = decideHealth(list);
      if (h !== undefined) out.set(k, h);
    }
    for (const [k, h] of checker) if (!proxies.has(k)) out.set(k, h);
    return out;
  }

  registered(cluster: string): readonly RegisteredEndpoint[] {
    return [...this.registrations.values()]
      .filter((r) => r.service === cluster)
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
      .map((r) => ({ address: r.address, port: r.port, zone: r.zone, health: r.health, identity: r.identity ?? '' }));
  }

  /** Every entry with its key, for GET /v1/health. */
  allEntries(): HealthEntry[] {
    return [...this.entries.values()];
  }

  allRegistrations(): Registration[] {
    return [...this.registrations.values()];
  }

  onChange(listener: (clusters: ReadonlySet<string>) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  private follow<T>(prefix: string, into: Map<string, T>, decode: (json: string) => T | undefined, clusterOf: (v: T) => string): { close(): Promise<void> } {
    let first = true;
    const set = (key: string, json: string | undefined, changed: Set<string>): void => {
      const before = into.get(key);
      if (before !== undefined) changed.add(clusterOf(before));
      if (json === undefined) {
        into.delete(key);
        return;
      }
      const v = decode(json);
      if (v === undefined) {
        this.log?.error({ key }, 'etcd holds a value under a health prefix that is not ours; leaving it out');
        into.delete(key);
        return;
      }
      into.set(key, v);
      changed.add(clusterOf(v));
    };
    return this.leases.watchPrefix(prefix, {
      onReset: (all) => {
        const changed = new Set<string>();
        for (const key of [...into.keys()]) if (!all.has(key)) set(key, undefined, changed);
        for (const [key, json] of all) set(key, json, changed);
        this.emit(changed);
        if (first) {
          first = false;
          if (++this.readyCount >= 2) for (const w of this.readyWaiters.splice(0)) w();
        }
      },
      onChange: (key, json) => {
        const changed = new Set<string>();
        set(key, json, changed);
        this.emit(changed);
      },
    });
  }

  private emit(changed: Set<string>): void {
    if (changed.size > 0) this.emitter.emit('change', changed);
  }
}
