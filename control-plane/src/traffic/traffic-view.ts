// The other replicas' parts of the mesh's traffic (traffic-publisher.ts), followed in the store and
// kept by window for as long as GET /v1/traffic's series reaches back. A record of another window
// length, or one that does not read, is left out (a replica of another version): a guess would be wrong.
import type { Logger } from 'pino';
import type { LeaseStore } from '../store/lease-store.js';
import { TrafficBucket } from './traffic-bucket.js';
import { TRAFFIC_PREFIX } from './traffic-publisher.js';
import type { RemoteTraffic } from './traffic-service.js';
import { SERIES_SPAN_MS } from './traffic-window.js';

export class TrafficView implements RemoteTraffic {
  /** By window, then by replica. */
  private readonly windows = new Map<number, Map<string, TrafficBucket>>();
  private watch: { close(): Promise<void> } | undefined;
  version = 0;

  constructor(private readonly leases: LeaseStore, private readonly self: string, private readonly windowMs: number, private readonly log?: Logger) {}

  start(): void {
    this.watch = this.leases.watchPrefix(TRAFFIC_PREFIX, {
      onReset: (entries) => {
        for (const [key, value] of entries) this.set(key, value);
      },
      onChange: (key, value) => this.set(key, value),
    });
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  buckets(index: number): readonly TrafficBucket[] {
    const w = this.windows.get(index);
    return w === undefined ? [] : [...w.values()];
  }

  /** A record written (kept by its window) or removed (a replica gone: the windows it shared stay). */
  private set(key: string, value: string | undefined): void {
    const replica = key.slice(TRAFFIC_PREFIX.length);
    if (value === undefined || replica === this.self || replica === '' || replica.includes('/')) return;
    try {
      const { windowMs, bucket } = TrafficBucket.decode(value);
      if (windowMs !== this.windowMs) throw new Error(`window of ${windowMs} ms, not ${this.windowMs}`);
      let w = this.windows.get(bucket.index);
      if (w === undefined) this.windows.set(bucket.index, (w = new Map()));
      w.set(replica, bucket);
      this.version++;
      const oldest = bucket.index - Math.ceil(SERIES_SPAN_MS / this.windowMs) - 4;
      for (const index of this.windows.keys()) if (index < oldest) this.windows.delete(index);
    } catch (err) {
      this.log?.warn({ err, key }, 'ignoring an unreadable traffic record');
    }
  }
}
