// One computation of the live feed: the fleet's overview, its proxies and the revision read once from
// the sources, compared with the previous computation, and turned into the server-sent events of what
// changed. The events are encoded here, once, and the same bytes go to every open page.
import { syncStateOf, type ProxyStatus, type SyncState } from '../discovery/proxy-status.js';
import { rolloutOf } from '../discovery/rollout-status.js';
import type { FeedSources } from './feed-sources.js';
import { jsonEqual } from './json-equal.js';
import { PROXY_COLUMNS_JSON, proxyRowJson } from './proxy-columns.js';

/** Errors and lagging proxies the overview's rollout lists, as GET /v1/rollout?limit=20. */
const ROLLOUT_LIMIT = 20;

/** One server-sent event (WHATWG HTML, section 9.2): JSON holds no raw newline, so one data line. */
export function sseEvent(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

/** One proxy as the last tick saw it, with its JSON as GET /v1/proxies lists it. */
interface SentRecord {
  readonly status: ProxyStatus;
  readonly state: SyncState;
  readonly json: string;
  /** Its row in a reset (proxy-columns.ts): encoded when a reset first needs it, kept while it is unchanged. */
  row?: string;
}

export class FeedState {
  private revision = -1;
  private overview = '';
  private traffic = '';
  /** Each proxy's record, by node id, in GET /v1/proxies' order. */
  private records = new Map<string, SentRecord>();
  /** What connectBytes() answers, kept until the next change. */
  private connect: Buffer | undefined;

  constructor(private readonly sources: FeedSources) {}

  /**
   * Reads the sources and returns the events of what changed since the previous call ('' when
   * nothing did). The first call reports everything.
   */
  update(): string {
    let out = '';
    const revision = this.sources.revision();
    if (revision !== this.revision) {
      if (this.revision >= 0) out += sseEvent('revision', JSON.stringify({ revision }));
      this.revision = revision;
    }
    const proxies = this.sources.proxies();
    const records = new Map<string, SentRecord>();
    const upsert: string[] = [];
    const counts = { total: 0, synced: 0, stale: 0, nack: 0 };
    for (const p of proxies) {
      // Two streams of one node (on one replica) are one row: the first in the list's order.
      if (records.has(p.nodeId)) continue;
      const state = syncStateOf(p, revision);
      counts.total++;
      if (state === 'SYNCED') counts.synced++;
      else if (state === 'STALE') counts.stale++;
      else counts.nack++;
      const sent = this.records.get(p.nodeId);
      if (sent !== undefined && sent.state === state && jsonEqual(sent.status, p)) {
        records.set(p.nodeId, sent);
        continue;
      }
      // GET /v1/proxies' item is `{...p, state}`: the same JSON, without copying the record.
      const json = `${JSON.stringify(p).slice(0, -1)},"state":"${state}"}`;
      records.set(p.nodeId, { status: p, state, json });
      upsert.push(json);
    }
    const remove: string[] = [];
    for (const id of this.records.keys()) if (!records.has(id)) remove.push(id);
    if (upsert.length > 0 || remove.length > 0) {
      out += sseEvent('proxies', `{"upsert":[${upsert.join(',')}],"remove":${JSON.stringify(remove)}}`);
      this.connect = undefined;
    }
    this.records = records;
    const trafficBody = this.sources.traffic();
    const traffic = trafficBody === null ? '' : JSON.stringify(trafficBody);
    if (traffic !== this.traffic && traffic !== '') {
      out += sseEvent('traffic', traffic);
      this.connect = undefined;
    }
    this.traffic = traffic;
    const overview = JSON.stringify({
      revision,
      proxies: counts,
      rollout: rolloutOf(proxies, revision, ROLLOUT_LIMIT),
      endpoints: this.sources.endpoints(),
      traffic: trafficBody?.mesh ?? null,
    });
    if (overview !== this.overview) {
      out += sseEvent('overview', overview);
      this.connect = undefined;
    }
    this.overview = overview;
    return out;
  }

  /**
   * What a page that connects now receives: the overview, every proxy (`reset`), and the traffic if
   * any. Built from the last update and encoded to bytes once per change however many pages connect
   * (the reset of 10,000 proxies is megabytes: encoding it again for each page would cost as much).
   */
  connectBytes(): Buffer {
    this.connect ??= Buffer.from(sseEvent('overview', this.overview) +
      sseEvent('proxies', `{"reset":true,"columns":${PROXY_COLUMNS_JSON},"rows":[${[...this.records.values()].map((r) => (r.row ??= proxyRowJson(r.status, r.state))).join(',')}]}`) +
      (this.traffic === '' ? '' : sseEvent('traffic', this.traffic)));
    return this.connect;
  }
}
