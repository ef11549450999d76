// What the live feed (/ui/events) keeps current for every page: the overview, every proxy's record,
// the configuration revision, the latest traffic window and the synced share over time. Pages read it
// through useLive(); a burst of events re-renders them once per animation frame, not once per event.
import { useEffect, useState } from 'preact/hooks';
import type { Overview, ProxiesEvent, ProxyRecord, Traffic } from './api-types.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/** How many overview samples the rollout chart keeps (one per overview event). */
const SHARE_SAMPLES = 600;

class LiveState {
  connection: Connection = 'connecting';
  overview: Overview | undefined;
  revision = 0;
  traffic: Traffic | undefined;
  /** Proxies by node id; `version` changes on every change so pages can memoize on it. */
  readonly proxies = new Map<string, ProxyRecord>();
  proxiesVersion = 0;
  proxiesLoaded = false;
  /** Seconds since the epoch and the share of proxies at the current revision (0..1). */
  readonly shareTimes: number[] = [];
  readonly shares: number[] = [];
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = (): void => {
      this.scheduled = false;
      for (const l of [...this.listeners]) l();
    };
    // requestAnimationFrame does not run in a hidden tab; the timer keeps a background tab current.
    if (document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 250);
  }

  setConnection(c: Connection): void {
    if (this.connection === c) return;
    this.connection = c;
    this.changed();
  }

  applyOverview(o: Overview): void {
    this.overview = o;
    this.revision = Math.max(this.revision, o.revision);
    this.sampleShare();
    this.changed();
  }

  /**
   * One point of the synced-share chart. Taken on every overview event and once a second between
   * them (the feed sends the overview only when it changes), so the time axis is even.
   */
  sampleShare(): void {
    const r = this.overview?.rollout;
    if (r === undefined) return;
    this.shareTimes.push(Date.now() / 1000);
    this.shares.push(r.proxies === 0 ? 1 : r.at / r.proxies);
    if (this.shares.length > SHARE_SAMPLES) {
      this.shareTimes.shift();
      this.shares.shift();
    }
  }

  applyProxies(e: ProxiesEvent): void {
    if (e.reset === true) this.proxies.clear();
    for (const p of e.upsert ?? []) this.proxies.set(p.nodeId, p);
    for (const node of e.remove ?? []) this.proxies.delete(node);
    this.proxiesLoaded = true;
    this.proxiesVersion++;
    this.changed();
  }

  applyRevision(revision: number): void {
    this.revision = Math.max(this.revision, revision);
    this.changed();
  }

  applyTraffic(t: Traffic): void {
    this.traffic = t;
    this.changed();
  }
}

export const live = new LiveState();

setInterval(() => {
  if (live.connection !== 'live') return;
  live.sampleShare();
  live.changed();
}, 1000);

/** Re-renders the calling component whenever the live state changes. */
export function useLive(): LiveState {
  const [, setTick] = useState(0);
  useEffect(() => live.subscribe(() => setTick((n) => n + 1)), []);
  return live;
}
