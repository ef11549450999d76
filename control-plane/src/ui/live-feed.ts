// The dashboard's live feed (GET /ui/events): one shared ticker computes what changed (feed-state.ts)
// once per tick and writes the same bytes to every open page, so its cost grows with the fleet, not
// with the number of pages. The ticker runs while a page is open and for `lingerMs` after the last
// one goes, so that a reload (or a link opened in a new tab) joins the last computation instead of
// computing and encoding the whole fleet again while the page waits. Bounded: at most
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
  /** How long the ticker keeps running after the last page goes. Default 10 s; 0 stops it at once. */
  readonly lingerMs?: number;
  readonly metrics?: Registry;
}

export const DEFAULT_FEED_TICK_MS = 1000;
export const DEFAULT_FEED_MAX_SUBSCRIBERS = 200;
/** Above the first `proxies` event of a 10,000-proxy fleet (about 5 MiB), which every page receives. */
export const DEFAULT_FEED_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FEED_HEARTBEAT_MS = 15_000;
/** Longer than a reload takes; while lingering, an unchanged fleet of 10,000 costs comparisons only. */
export const DEFAULT_FEED_LINGER_MS = 10_000;

/** A place in the feed, taken before the response starts so that the limit holds under concurrent connects. */
export interface FeedSlot {
  attach(res: ServerResponse): void;
}

const RETRY_FRAME = Buffer.from('retry: 2000\n\n');

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
  private readonly lingerMs: number;
  /** When the last page went, while the ticker lingers. */
  private emptySince: number | undefined;
  private closed = false;

  constructor(private readonly sources: FeedSources, options: LiveFeedOptions = {}) {
    this.tickMs = options.tickMs ?? DEFAULT_FEED_TICK_MS;
    this.maxSubscribers = options.maxSubscribers ?? DEFAULT_FEED_MAX_SUBSCRIBERS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_FEED_MAX_BUFFERED_BYTES;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_FEED_HEARTBEAT_MS;
    this.lingerMs = options.lingerMs ?? DEFAULT_FEED_LINGER_MS;
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
    this.emptySince = undefined;
    res.once('close', () => {
      this.subscribers.delete(res);
      this.noteEmpty();
    });
    // A reconnecting EventSource waits this long (WHATWG HTML 9.2.4), then comes back.
    res.write(RETRY_FRAME);
    res.write(this.state.connectBytes());
  }

  /** The last page went: the ticker stops now, or after lingering. */
  private noteEmpty(): void {
    if (this.subscribers.size > 0 || this.state === undefined) return;
    if (this.lingerMs <= 0) this.stop();
    else this.emptySince ??= Date.now();
  }

  private tick(): void {
    if (this.emptySince !== undefined && Date.now() - this.emptySince >= this.lingerMs) {
      this.stop();
      return;
    }
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
    this.noteEmpty();
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
    this.emptySince = undefined;
  }
}
