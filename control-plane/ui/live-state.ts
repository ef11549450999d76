// What the live feed (/ui/events) keeps current for every page: the overview, every proxy's record,
// the configuration revision, the latest traffic window and the synced share over time. Pages read it
// through useLive(); a burst of events re-renders them once per animation frame, not once per event.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Overview, ProxiesEvent, ProxyRecord, Traffic } from './api-types.js';
import { type ProxyChange, ProxyChangeLog } from './proxy-changes.js';
import { recordsOf } from './proxy-rows.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/** How many overview samples the rollout chart keeps (one per overview event). */
const SHARE_SAMPLES = 600;

class LiveState {
  connection: Connection = 'connecting';
  overview: Overview | undefined;
  revision = 0;
  traffic: Traffic | undefined;
  /** Proxies by node id. */
  readonly proxies = new Map<string, ProxyRecord>();
  /** Each `proxies` event's changes; its `version` changes on every event, so pages can memoize on it. */
  readonly proxyChanges = new ProxyChangeLog();
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
    if (e.reset === true) {
      this.proxies.clear();
      for (const p of recordsOf(e.columns ?? [], e.rows ?? [])) this.proxies.set(p.nodeId, p);
      this.proxyChanges.reset();
    } else {
      const changes: ProxyChange[] = [];
      for (const after of e.upsert ?? []) {
        changes.push({ before: this.proxies.get(after.nodeId), after });
        this.proxies.set(after.nodeId, after);
      }
      for (const node of e.remove ?? []) {
        const before = this.proxies.get(node);
        if (before === undefined) continue;
        changes.push({ before });
        this.proxies.delete(node);
      }
      this.proxyChanges.record(changes);
    }
    this.proxiesLoaded = true;
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

/**
 * Re-renders the calling component whenever the live state changes; with `watch`, only when one of
 * the values it picks changed (the Proxies page need not re-render, while its table scrolls, for a
 * new overview or the rollout chart's sample each second).
 */
export function useLive(watch?: (s: LiveState) => readonly unknown[]): LiveState {
  const [, setTick] = useState(0);
  // The values this render used: a change that lands before the effect subscribes still counts.
  const rendered = useRef<readonly unknown[] | undefined>(undefined);
  rendered.current = watch?.(live);
  useEffect(() => live.subscribe(() => {
    const used = rendered.current;
    if (watch !== undefined && used !== undefined) {
      const now = watch(live);
      if (now.length === used.length && now.every((v, i) => Object.is(v, used[i]))) return;
    }
    setTick((n) => n + 1);
  }), []);
  return live;
}
