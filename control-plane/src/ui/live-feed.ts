// The dashboard's live feed (GET /ui/events): one shared ticker computes what changed (feed-state.ts)
// once per tick and writes the same bytes to every open page, so its cost grows with the fleet, not
// with the number of pages. The ticker runs only while a page is open. Bounded: at most
// `maxSubscribers` pages (the next is refused), and a page whose connection holds more than
// `maxBufferedBytes` unsent is dropped rather than buffered without end (the browser reconnects).
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { FeedSources } from './feed-sources.js';
import { FeedMetrics } from './feed-metrics.js';
import { FeedState } from './feed-state.js';

export interface LiveFeedOptions {
  /** How often changes are computed and sent. Default 1000 ms. */
  readonly tickMs?: number;
  /** Open pages at most (--ui-feed-max-subscribers); the next answers 503 SLUICE_FEED_FULL. Default 200. */
  readonly maxSubscribers?: number;
  /** Unsent bytes a page may hold before it is dropped. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** A comment line this often keeps idle connections (and proxies between) open. Default 15 s. */
  readonly heartbeatMs?: number;
  readonly metrics?: Registry;
}

export const DEFAULT_FEED_TICK_MS = 1000;
export const DEFAULT_FEED_MAX_SUBSCRIBERS = 200;
/** Above the first `proxies` event of a 10,000-proxy fleet (about 5 MiB), which every page receives. */
export const DEFAULT_FEED_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FEED_HEARTBEAT_MS = 15_000;

/** A place in the feed, taken before the response starts so that the limit holds under concurrent connects. */
export interface FeedSlot {
  attach(res: ServerResponse): void;
}

export class LiveFeed {
  private readonly subscribers = new Set<ServerResponse>();
  private reserved = 0;
  private readonly metrics: FeedMetrics;
  private state: FeedState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastHeartbeat = 0;
  private readonly tickMs: number;
  private readonly maxSubscribers: number;
  private readonly maxBufferedBytes: number;
  private readonly heartbeatMs: number;
  private closed = false;

  constructor(private readonly sources: FeedSources, options: LiveFeedOptions = {}) {
    this.tickMs = options.tickMs ?? DEFAULT_FEED_TICK_MS;
    this.maxSubscribers = options.maxSubscribers ?? DEFAULT_FEED_MAX_SUBSCRIBERS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_FEED_MAX_BUFFERED_BYTES;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_FEED_HEARTBEAT_MS;
    this.metrics = new FeedMetrics(options.metrics, () => this.subscribers.size);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Takes a place for a page; throws SLUICE_FEED_FULL when every place is taken. */
  admit(): FeedSlot {
    if (this.closed || this.subscribers.size + this.reserved >= this.maxSubscribers) {
      throw new ControlPlaneError(ErrorCode.FeedFull, `the live feed serves ${this.maxSubscribers} pages at most and has that many open; close one, or raise --ui-feed-max-subscribers`);
    }
    this.reserved++;
    let used = false;
    return {
      attach: (res) => {
        if (used) throw new Error('a feed slot is attached once');
        used = true;
        this.reserved--;
        this.attach(res);
      },
    };
  }

  /** Ends every page's stream and stops the ticker. */
  close(): void {
    this.closed = true;
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
    this.stop();
  }

  private attach(res: ServerResponse): void {
    if (this.closed || res.destroyed) {
      res.destroy();
      return;
    }
    // The first page starts the ticker from a fresh computation; later ones join the last one.
    if (this.state === undefined) {
      this.state = new FeedState(this.sources);
      this.compute();
      this.lastHeartbeat = Date.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    this.subscribers.add(res);
    res.once('close', () => {
      this.subscribers.delete(res);
      if (this.subscribers.size === 0) this.stop();
    });
    // A reconnecting EventSource waits this long (WHATWG HTML 9.2.4), then comes back.
    res.write(`retry: 2000\n\n${this.state.connectFrames()}`);
  }

  private tick(): void {
    let frames = this.compute();
    const now = Date.now();
    if (now - this.lastHeartbeat >= this.heartbeatMs) {
      frames += ': heartbeat\n\n';
      this.lastHeartbeat = now;
    }
    if (frames === '') return;
    const bytes = Buffer.from(frames);
    for (const res of this.subscribers) {
      if (res.writableLength > this.maxBufferedBytes) {
        // A page that cannot keep up: drop it (it reconnects and starts over from a reset).
        this.metrics.droppedSlow();
        this.subscribers.delete(res);
        res.destroy();
        continue;
      }
      res.write(bytes);
    }
    if (this.subscribers.size === 0) this.stop();
  }

  private compute(): string {
    this.metrics.computed();
    return this.state!.update();
  }

  /** No page open: the ticker stops, and the next page starts from a fresh computation. */
  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.state = undefined;
  }
}
