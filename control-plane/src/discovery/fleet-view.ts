// Every replica's published proxies (fleet-status-publisher.ts), read from the store and followed:
// with this replica's own live registry it makes the fleet GET /v1/proxies and /v1/rollout answer for.
// A proxy's ACKed revision is its replica's sync line's: `revision`, unless `behind` names it.
import type { Logger } from 'pino';
import { FLEET_STATUS_PREFIX } from '../store/keys.js';
import type { LeaseStore } from '../store/lease-store.js';
import { parseFleetKey, type ProxyCard, type SyncLine } from './fleet-status-keys.js';
import type { ProxyStatus } from './proxy-status.js';

export class FleetView {
  /** Card shards by key; each key names its replica. */
  private readonly cards = new Map<string, { readonly replica: string; readonly cards: readonly ProxyCard[] }>();
  private readonly syncs = new Map<string, SyncLine>();
  private watch: { close(): Promise<void> } | undefined;

  /** `self`: this replica, whose keys are skipped (its own proxies come from its registry). */
  constructor(private readonly leases: LeaseStore, private readonly self: string, private readonly log?: Logger) {}

  start(): void {
    this.watch = this.leases.watchPrefix(FLEET_STATUS_PREFIX, {
      onReset: (entries) => {
        this.cards.clear();
        this.syncs.clear();
        for (const [key, value] of entries) this.set(key, value);
      },
      onChange: (key, value) => this.set(key, value),
    });
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  /** The records of every other replica. */
  records(): ProxyStatus[] {
    const out: ProxyStatus[] = [];
    for (const { replica, cards } of this.cards.values()) {
      const sync = this.syncs.get(replica);
      for (const { stream, ...card } of cards) out.push({ ...card, ackedRevision: sync === undefined ? 0 : (sync.behind[stream] ?? sync.revision) });
    }
    return out;
  }

  private set(key: string, value: string | undefined): void {
    const parsed = parseFleetKey(key);
    if (parsed === undefined || parsed.replica === this.self) return;
    const forget = (): void => void (parsed.kind === 'cards' ? this.cards.delete(key) : this.syncs.delete(parsed.replica));
    if (value === undefined) return forget();
    try {
      const json: unknown = JSON.parse(value);
      if (parsed.kind === 'cards') {
        if (!Array.isArray(json)) throw new Error('not an array');
        this.cards.set(key, { replica: parsed.replica, cards: json as ProxyCard[] });
      } else {
        const line = json as SyncLine;
        if (typeof line?.revision !== 'number' || typeof line.behind !== 'object' || line.behind === null) throw new Error('not a sync line');
        this.syncs.set(parsed.replica, line);
      }
    } catch (err) {
      // Written by a newer or broken replica: leave it out rather than answer with a guess.
      forget();
      this.log?.warn({ err, key }, 'ignoring an unreadable proxy status record');
    }
  }
}
