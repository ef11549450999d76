// Publishes this replica's proxies in the store, so that any replica answers GET /v1/proxies and
// /v1/rollout for the whole fleet (fleet-view.ts reads them back). Everything lives under this
// replica's lease: a replica that dies takes it with it when the lease expires, and a stopped one
// revokes the lease at once.
//
// Two kinds of keys, so that a change reaching 10,000 proxies costs a few hundred bytes, not megabytes:
// - cards, `/sluice/fleet/proxies/<replica>/<shard>` (a fixed number of shards, each a JSON array):
//   who each proxy is and what it rejected. Rewritten when a proxy connects or leaves, when its
//   rejections change, after its first ACK, and at most every refreshMs for its last ACK and per-type
//   revisions.
// - the sync line, `/sluice/fleet/sync/<replica>`: the revision this replica's proxies are being
//   brought to, and only the proxies not there yet with the revision they are at. Every proxy absent
//   from `behind` runs `revision`, so in steady state the line is a few bytes whatever the fleet size.
// Writes are transitions only: a tick compares cheap fingerprints and writes only keys whose content
// changed, at most one write per key per tick. Large keys wait longer (a quarter of a millisecond per
// proxy they hold between rewrites: 2.5 s for 10,000 cards, or 10,000 proxies behind), so that a mass
// reconnect does not rewrite megabytes twice a second (and the cards are looked at no more often);
// in steady state the sync line is small and goes out every tick.
import type { Logger } from 'pino';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import { fleetCardsKey, fleetSyncKey, type ProxyCard, type SyncLine } from './fleet-status-keys.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { cardFingerprint, statusOf } from './proxy-status.js';
import type { StreamState } from './stream-state.js';

export const DEFAULT_FLEET_STATUS_SHARDS = 64;
export const DEFAULT_FLEET_STATUS_FLUSH_MS = 500;
export const DEFAULT_CARD_REFRESH_MS = 30_000;
/** Per proxy in a key, the pause before that key is rewritten: 2.5 s for 10,000 proxies. */
const PAUSE_PER_PROXY_MS = 0.25;

export interface FleetStatusPublisherOptions {
  readonly replicaId: string;
  /** TTL of the lease the records live under: how long a dead replica's proxies stay listed. */
  readonly ttlSeconds: number;
  /** The revision this replica is bringing its proxies to (its current snapshot's). */
  readonly revision: () => number;
  readonly flushMs?: number;
  readonly shards?: number;
  /** How old a card's last ACK and per-type revisions may get before the card is rewritten. */
  readonly cardRefreshMs?: number;
  readonly log?: Logger;
}

interface Seen {
  readonly shard: number;
  fingerprint: number;
  card: string;
  cardAt: number;
  /** Whether the card holds a last ACK: the first one is published at once, later ones every cardRefreshMs. */
  acked: boolean;
}

export class FleetStatusPublisher {
  private readonly lease: Lease;
  private readonly shards: number;
  private readonly seen = new Map<string, Seen>();
  /** Per key: the value stored under this lease (absent: nothing stored). */
  private readonly stored = new Map<string, string>();
  private readonly dirty = new Set<number>();
  private cardsWrittenAt = 0;
  private cardsScannedAt = 0;
  private syncWrittenAt = 0;
  private flushNow = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly registry: ProxyRegistry, leases: LeaseStore, private readonly options: FleetStatusPublisherOptions) {
    this.shards = options.shards ?? DEFAULT_FLEET_STATUS_SHARDS;
    this.lease = leases.grant(options.ttlSeconds);
    // The lease expired while the store was unreachable: every key is gone, write them again.
    this.lease.onLost(() => {
      this.stored.clear();
      for (const { shard } of this.seen.values()) this.dirty.add(shard);
    });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.flushMs ?? DEFAULT_FLEET_STATUS_FLUSH_MS);
    this.timer.unref();
  }

  /** Stops publishing and removes this replica's keys at once (its proxies reconnect elsewhere). */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flushing;
    await this.lease.revoke();
  }

  /** Publishes what changed now, cards included (tests; the timer does it every flushMs). */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    this.flushNow = true;
    try {
      await this.publish();
    } finally {
      this.flushNow = false;
    }
  }

  private tick(): void {
    if (this.flushing === undefined && !this.closed) void this.publish();
  }

  private publish(): Promise<void> {
    const streams = [...this.registry.streams()];
    const now = Date.now();
    const flushMs = this.options.flushMs ?? DEFAULT_FLEET_STATUS_FLUSH_MS;
    const writes: Array<{ key: string; value: string | undefined; shard?: number }> = [];
    // Cards: looked at (and rewritten) only once due, which in a large fleet is every few seconds:
    // looking at 10,000 streams costs more than a tick should, even when nothing changed.
    const cardsPauseMs = Math.max(flushMs, streams.length * PAUSE_PER_PROXY_MS);
    if (this.flushNow || now >= Math.max(this.cardsWrittenAt, this.cardsScannedAt) + cardsPauseMs) {
      this.cardsScannedAt = now;
      this.scan(streams);
      if (this.dirty.size > 0) {
        this.cardsWrittenAt = now;
        const cards = new Map<number, string[]>([...this.dirty].map((shard) => [shard, []]));
        this.dirty.clear();
        for (const s of streams) {
          const seen = this.seen.get(s.id)!;
          cards.get(seen.shard)?.push(seen.card);
        }
        for (const [shard, list] of cards) writes.push({ key: fleetCardsKey(this.options.replicaId, shard), value: list.length === 0 ? undefined : `[${list.join(',')}]`, shard });
      }
    }
    // The sync line: every tick while few proxies are behind, less often while many are.
    const revision = this.options.revision();
    let behindCount = 0;
    for (const s of streams) if (s.syncedRevision < revision) behindCount++;
    if (this.flushNow || now >= this.syncWrittenAt + Math.max(flushMs, behindCount * PAUSE_PER_PROXY_MS)) {
      // Built only when due: while 10,000 proxies take a change, it is a 10,000-key object.
      const behind: Record<string, number> = {};
      for (const s of streams) if (s.syncedRevision < revision) behind[s.id] = s.syncedRevision;
      const line = streams.length === 0 ? undefined : JSON.stringify({ revision, behind } satisfies SyncLine);
      if (line !== this.stored.get(fleetSyncKey(this.options.replicaId))) this.syncWrittenAt = now;
      writes.push({ key: fleetSyncKey(this.options.replicaId), value: line });
    }
    const flushing = Promise.all(writes.map((w) => this.write(w.key, w.value, w.shard))).then((errors) => {
      const failed = errors.filter((e) => e !== undefined);
      if (failed.length > 0) this.options.log?.warn({ err: failed[0], keys: failed.length }, 'cannot publish proxy status; trying again');
    });
    this.flushing = flushing;
    return flushing.finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
  }

  /** Rebuilds the cards of streams that opened or changed, and marks their shards and those of streams gone. */
  private scan(streams: readonly StreamState[]): void {
    const now = Date.now();
    const refreshMs = this.options.cardRefreshMs ?? DEFAULT_CARD_REFRESH_MS;
    const open = new Set<string>();
    for (const s of streams) {
      open.add(s.id);
      const fingerprint = cardFingerprint(s);
      let seen = this.seen.get(s.id);
      const ackedAt = s.lastAckAt?.getTime() ?? 0;
      if (seen === undefined) {
        seen = { shard: shardOf(s.id, this.shards), fingerprint, card: this.card(s), cardAt: now, acked: ackedAt > 0 };
        this.seen.set(s.id, seen);
      } else if (seen.fingerprint !== fingerprint || (ackedAt > seen.cardAt && (!seen.acked || now - seen.cardAt >= refreshMs))) {
        seen.fingerprint = fingerprint;
        seen.card = this.card(s);
        seen.cardAt = now;
        seen.acked = ackedAt > 0;
      } else continue;
      this.dirty.add(seen.shard);
    }
    for (const [id, { shard }] of this.seen) {
      if (open.has(id)) continue;
      this.seen.delete(id);
      this.dirty.add(shard);
    }
  }

  private card(s: StreamState): string {
    const { ackedRevision: _published, ...card } = statusOf(s, this.options.replicaId);
    return JSON.stringify({ ...card, stream: s.id } satisfies ProxyCard);
  }

  /**
   * Resolves the error when the store refused the write (undefined when written or unchanged). A card
   * `shard` that failed is written again at the next tick; the sync line is looked at every tick anyway.
   */
  private async write(key: string, value: string | undefined, shard?: number): Promise<unknown> {
    if (this.stored.get(key) === value) return undefined;
    try {
      if (value === undefined) await this.lease.delete(key);
      else await this.lease.put(key, value);
      if (value === undefined) this.stored.delete(key);
      else this.stored.set(key, value);
      return undefined;
    } catch (err) {
      if (!this.closed && shard !== undefined) this.dirty.add(shard);
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
