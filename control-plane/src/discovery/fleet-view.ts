// Every replica's published proxies (fleet-status-publisher.ts), read from the store and followed:
// with this replica's own live registry it makes the fleet GET /v1/proxies and /v1/rollout answer for.
import type { Logger } from 'pino';
import { FLEET_STATUS_PREFIX } from '../store/keys.js';
import type { LeaseStore } from '../store/lease-store.js';
import type { ProxyStatus } from './proxy-status.js';

export class FleetView {
  private readonly shards = new Map<string, readonly ProxyStatus[]>();
  private watch: { close(): Promise<void> } | undefined;

  constructor(private readonly leases: LeaseStore, private readonly log?: Logger) {}

  start(): void {
    this.watch = this.leases.watchPrefix(FLEET_STATUS_PREFIX, {
      onReset: (entries) => {
        this.shards.clear();
        for (const [key, value] of entries) this.set(key, value);
      },
      onChange: (key, value) => this.set(key, value),
    });
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  /** The records of every replica but `except` (this one: its own proxies come from its registry). */
  records(except: string): ProxyStatus[] {
    const prefix = `${FLEET_STATUS_PREFIX}${except}/`;
    const out: ProxyStatus[] = [];
    for (const [key, proxies] of this.shards) if (!key.startsWith(prefix)) out.push(...proxies);
    return out;
  }

  private set(key: string, value: string | undefined): void {
    if (value === undefined) {
      this.shards.delete(key);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(value);
      if (!Array.isArray(parsed)) throw new Error('not an array');
      this.shards.set(key, parsed as ProxyStatus[]);
    } catch (err) {
      // Written by a newer or broken replica: leave it out rather than answer with a guess.
      this.shards.delete(key);
      this.log?.warn({ err, key }, 'ignoring an unreadable proxy status record');
    }
  }
}
