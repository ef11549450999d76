// The connection to GET /ui/events (server-sent events). EventSource retries by itself after a dropped
// stream; when the server answers with an error instead (restarting, session gone) it gives up, so
// this opens a new one after a back-off. Either way the indicator shows "reconnecting" meanwhile.
import type { Overview, ProxiesEvent, Traffic } from './api-types.js';
import { live } from './live-state.js';

let source: EventSource | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryMs = 500;

function parsed<T>(e: MessageEvent, apply: (value: T) => void): void {
  try {
    apply(JSON.parse(String(e.data)) as T);
  } catch (err) {
    console.warn('dashboard: an event could not be read', err);
  }
}

export function openFeed(): void {
  closeFeed();
  live.setConnection(live.connection === 'connecting' ? 'connecting' : 'reconnecting');
  const es = new EventSource('/ui/events', { withCredentials: true });
  source = es;
  es.addEventListener('open', () => {
    retryMs = 500;
    live.setConnection('live');
  });
  es.addEventListener('overview', (e) => parsed<Overview>(e as MessageEvent, (o) => live.applyOverview(o)));
  es.addEventListener('proxies', (e) => parsed<ProxiesEvent>(e as MessageEvent, (p) => live.applyProxies(p)));
  es.addEventListener('revision', (e) => parsed<{ revision: number }>(e as MessageEvent, (r) => live.applyRevision(r.revision)));
  es.addEventListener('traffic', (e) => parsed<Traffic>(e as MessageEvent, (t) => live.applyTraffic(t)));
  es.addEventListener('error', () => {
    live.setConnection('reconnecting');
    if (es.readyState === EventSource.CLOSED && source === es) {
      retryTimer = setTimeout(openFeed, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    }
  });
}

/** Opens the feed unless it is open (or waiting to reconnect) already. */
export function ensureFeed(): void {
  if (source === undefined) openFeed();
}

export function closeFeed(): void {
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
  source?.close();
  source = undefined;
}
