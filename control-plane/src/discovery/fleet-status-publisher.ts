// Publishes this replica's proxies in the store, so that any replica answers GET /v1/proxies and
// /v1/rollout for the whole fleet (fleet-view.ts reads them back).
//
// The records live under this replica's lease, in a fixed number of shard keys
// (`/sluice/fleet/proxies/<replica>/<shard>`, each a JSON array of ProxyStatus): a replica that dies
// takes them with it when the lease expires, and a stopped one revokes the lease at once. Writes are
// transitions only and batched: every tick compares a cheap fingerprint of each stream, rebuilds only
// the shards whose proxies changed, and writes only those whose content differs from what is stored.
// So a replica writes at most SHARDS keys per tick whatever the size of its fleet: 10,000 proxies ACKing
// one change cost one write per shard, not 10,000.
import type { Logger } from 'pino';
import { FLEET_STATUS_PREFIX } from '../store/keys.js';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { statusFingerprint, statusOf, type ProxyStatus } from './proxy-status.js';

export const DEFAULT_FLEET_STATUS_SHARDS = 64;
export const DEFAULT_FLEET_STATUS_FLUSH_MS = 500;

export interface FleetStatusPublisherOptions {
  readonly replicaId: string;
  /** TTL of the lease the records live under: how long a dead replica's proxies stay listed. */
  readonly ttlSeconds: number;
  readonly flushMs?: number;
  readonly shards?: number;
  readonly log?: Logger;
}

export function fleetStatusKey(replicaId: string, shard: number): string {
  return `${FLEET_STATUS_PREFIX}${replicaId}/${shard}`;
}

export class FleetStatusPublisher {
  private readonly lease: Lease;
  private readonly shards: number;
  /** Per stream id: its shard and the fingerprint last seen. */
  private readonly seen = new Map<string, { readonly shard: number; fingerprint: string }>();
  /** Per shard: the value stored under this lease (absent: nothing stored). */
  private readonly stored = new Map<number, string>();
  private readonly dirty = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly registry: ProxyRegistry, leases: LeaseStore, private readonly options: FleetStatusPublisherOptions) {
    this.shards = options.shards ?? DEFAULT_FLEET_STATUS_SHARDS;
    this.lease = leases.grant(options.ttlSeconds);
    // The lease expired while the store was unreachable: every record is gone, write them again.
    this.lease.onLost(() => {
      this.stored.clear();
      for (const { shard } of this.seen.values()) this.dirty.add(shard);
    });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.flushMs ?? DEFAULT_FLEET_STATUS_FLUSH_MS);
    this.timer.unref();
  }

  /** Stops publishing and removes this replica's records at once (its proxies reconnect elsewhere). */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flushing;
    await this.lease.revoke();
  }

  /** Publishes what changed now (tests; the timer does it every flushMs). */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    this.scan();
    await this.writeDirty();
  }

  private tick(): void {
    if (this.flushing !== undefined || this.closed) return;
    this.scan();
    if (this.dirty.size > 0) void this.writeDirty();
  }

  /** Marks the shards of streams that opened, closed or changed since the last scan. */
  private scan(): void {
    const open = new Set<string>();
    for (const s of this.registry.streams()) {
      open.add(s.id);
      const fingerprint = statusFingerprint(s);
      const known = this.seen.get(s.id);
      if (known === undefined) {
        const shard = shardOf(s.id, this.shards);
        this.seen.set(s.id, { shard, fingerprint });
        this.dirty.add(shard);
      } else if (known.fingerprint !== fingerprint) {
        known.fingerprint = fingerprint;
        this.dirty.add(known.shard);
      }
    }
    for (const [id, { shard }] of this.seen) {
      if (open.has(id)) continue;
      this.seen.delete(id);
      this.dirty.add(shard);
    }
  }

  private writeDirty(): Promise<void> {
    const shards = [...this.dirty];
    this.dirty.clear();
    const records = new Map<number, ProxyStatus[]>(shards.map((s) => [s, []]));
    for (const s of this.registry.streams()) {
      const shard = this.seen.get(s.id)?.shard;
      if (shard !== undefined) records.get(shard)?.push(statusOf(s, this.options.replicaId));
    }
    const flushing = Promise.all([...records].map(([shard, proxies]) => this.write(shard, proxies))).then((errors) => {
      const failed = errors.filter((e) => e !== undefined);
      if (failed.length > 0) this.options.log?.warn({ err: failed[0], shards: failed.length }, 'cannot publish proxy status; trying again');
    });
    this.flushing = flushing;
    return flushing.finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
  }

  /** Resolves the error when the store refused the write (undefined when written or unchanged). */
  private async write(shard: number, proxies: readonly ProxyStatus[]): Promise<unknown> {
    const key = fleetStatusKey(this.options.replicaId, shard);
    const value = proxies.length === 0 ? undefined : JSON.stringify(proxies);
    if (this.stored.get(shard) === value) return undefined;
    try {
      if (value === undefined) await this.lease.delete(key);
      else await this.lease.put(key, value);
      if (value === undefined) this.stored.delete(shard);
      else this.stored.set(shard, value);
      return undefined;
    } catch (err) {
      // The store is unreachable: try this shard again at the next tick.
      if (!this.closed) this.dirty.add(shard);
      return err;
    }
  }
}

/** FNV-1a of the stream id: streams spread evenly and each keeps its shard. */
function shardOf(streamId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) h = Math.imul(h ^ streamId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}
