// What the control plane knows about one discovery stream (go-control-plane's per-stream state): the
// proxy's subscriptions, the versions it holds, the one response in flight, and the versions it
// rejected. It decides what to send next, from what the proxy's scope lets it receive (proxy-scope.ts);
// discovery-server.ts only moves bytes.
import type { DiscoveryRequest, ErrorDetail, Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { KINDS, kindOrder, type Kind } from '../../../proto/src/model/kinds.js';
import { referencesOf } from '../../../proto/src/model/references.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { KnownVersions } from './known-versions.js';
import { ProxyScope } from './proxy-scope.js';
import { hasKey } from './scoped-encodings.js';
import { encodeResponse } from './response-encoder.js';

export const WILDCARD = '*';
/** A response stops growing past this size; the rest of the type follows after the ACK. */
const MAX_RESPONSE_BYTES = 1 << 20;

/** One response sent and not yet ACKed or NACKed. */
export interface Outgoing {
  readonly nonce: string;
  readonly type: Kind;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
  readonly revision: number;
  readonly bytes: Buffer;
}

/** A version the proxy NACKed: not sent again until the resource changes (version '' = a removal). */
export interface Rejection {
  readonly version: string;
  readonly revision: number;
  readonly message: string;
}

export type RequestOutcome = 'ack' | 'nack' | 'stale' | 'update' | 'ignored';

interface Subscription {
  wildcard: boolean;
  readonly names: Set<string>;
}

export class StreamState {
  readonly connectedAt = new Date();
  /** The latest snapshot revision delivered completely, apart from rejected versions. */
  syncedRevision = 0;
  lastError: { readonly revision: number; readonly message: string; readonly at: Date } | undefined;
  /** When the proxy last ACKed a response. */
  lastAckAt: Date | undefined;
  /** Per type, the revision of the last response of that type the proxy ACKed. */
  readonly ackedTypes = new Map<Kind, number>();
  private snapshot: Snapshot;
  private readonly subscriptions = new Map<Kind, Subscription>();
  private readonly known = new Map<Kind, KnownVersions>();
  private readonly dirty = new Map<Kind, Set<string>>();
  private readonly rejected = new Map<Kind, Map<string, Rejection>>();
  private inFlight: Outgoing | undefined;
  private nonceSeq = 0;
  private readonly scope: ProxyScope;
  /** Certificates the proxy holds with their private key. */
  private readonly keysHeld = new Set<string>();

  constructor(readonly id: string, readonly node: Node, readonly peer: string, snapshot: Snapshot) {
    this.snapshot = snapshot;
    this.scope = new ProxyScope(node);
    this.scope.update(snapshot);
  }

  get pending(): Outgoing | undefined {
    return this.inFlight;
  }

  /** Every rejected version still held back, by kind. */
  rejections(): Array<{ kind: Kind; name: string } & Rejection> {
    const out: Array<{ kind: Kind; name: string } & Rejection> = [];
    for (const [kind, m] of this.rejected) for (const [name, r] of m) out.push({ kind, name, ...r });
    return out;
  }

  /** How many versions are held back as rejected. */
  get rejectionCount(): number {
    let n = 0;
    for (const m of this.rejected.values()) n += m.size;
    return n;
  }

  /** The version of one resource the proxy holds (ACKed, or declared on reconnect). */
  versionOf(kind: Kind, name: string): string | undefined {
    return this.known.get(kind)?.get(name);
  }

  /**
   * Applies one request: an ACK or NACK of the response in flight (by nonce), and subscription
   * changes. A nonce other than the one in flight is stale (answered already, or from before a
   * reconnect) and only its subscription changes count, as in Envoy.
   */
  onRequest(request: DiscoveryRequest): RequestOutcome {
    const kind = KINDS.find((k) => k === request.type);
    if (kind === undefined) return 'ignored';
    let outcome: RequestOutcome = 'update';
    if (request.responseNonce !== '') {
      if (this.inFlight === undefined || this.inFlight.nonce !== request.responseNonce) outcome = 'stale';
      else if (request.errorDetail === undefined) {
        this.acked(this.inFlight);
        outcome = 'ack';
      } else {
        this.nacked(this.inFlight, request.errorDetail);
        outcome = 'nack';
      }
    }
    this.updateSubscription(kind, request);
    return outcome;
  }

  /** A new snapshot: its changes become candidates for the next responses. */
  onSnapshot(snapshot: Snapshot): void {
    if (snapshot.serial !== this.snapshot.serial + 1) {
      // A gap (should not happen: the server hands every snapshot over): compare everything.
      for (const kind of this.subscriptions.keys()) this.markAll(kind, snapshot);
    } else {
      for (const [kind, names] of snapshot.changed) {
        if (!this.subscriptions.has(kind)) continue;
        const d = this.dirtySet(kind);
        for (const n of names) d.add(n);
      }
    }
    this.snapshot = snapshot;
    // What changed for this proxy alone: a listener its selector now picks or drops, a key now needed or not.
    for (const [kind, names] of this.scope.update(snapshot)) {
      if (!this.subscriptions.has(kind)) continue;
      const d = this.dirtySet(kind);
      for (const n of names) d.add(n);
    }
  }

  /**
   * The next response to send, or undefined when one is in flight or the proxy is up to date.
   * Make-before-break: additions and changes go first, kind by kind in KINDS order (a route never
   * arrives before the cluster it needs), then removals in the reverse order (routes before the
   * clusters they used); one response at a time, so each waits for the ACK of the one before. A
   * private key the proxy no longer needs is replaced by the keyless certificate last, once nothing
   * that used it remains (the listener that served it is removed first).
   */
  next(): Outgoing | undefined {
    if (this.inFlight !== undefined) return undefined;
    for (const kind of KINDS) {
      const puts = this.collectPuts(kind, false);
      if (puts.length > 0) return this.send(kind, puts, []);
    }
    for (const kind of [...KINDS].reverse()) {
      const removed = this.collectRemovals(kind);
      if (removed.length > 0) return this.send(kind, [], removed);
    }
    const keysWithdrawn = this.collectPuts('Certificate', true);
    if (keysWithdrawn.length > 0) return this.send('Certificate', keysWithdrawn, []);
    if (this.subscriptions.size > 0) this.syncedRevision = this.snapshot.revision;
    // In sync: what the proxy holds of a wildcard kind is its scope's shared map plus its differences.
    for (const [kind, r] of this.rejected) if (r.size === 0) this.rejected.delete(kind);
    for (const [kind, sub] of this.subscriptions) {
      if (sub.wildcard && !this.rejected.has(kind)) this.knownMap(kind).rebase(this.scope.base(kind), this.scope.overrides(kind));
    }
    this.dirty.clear();
    return undefined;
  }

  /** `withdrawals`: only now may a held key be replaced by the keyless form (see next()). */
  private collectPuts(kind: Kind, withdrawals: boolean): EncodedResource[] {
    const dirty = this.dirty.get(kind);
    if (dirty === undefined || dirty.size === 0) return [];
    const known = this.known.get(kind);
    const rejected = this.rejected.get(kind);
    const puts: EncodedResource[] = [];
    let bytes = 0;
    for (const name of dirty) {
      const entry = this.scope.entry(kind, name);
      if (entry === undefined || !this.subscribed(kind, name)) {
        if (known?.has(name) !== true) {
          dirty.delete(name);
          rejected?.delete(name);
        }
        continue; // a removal: sent after every put
      }
      if (known?.get(name) === entry.version || rejected?.get(name)?.version === entry.version) {
        dirty.delete(name);
        continue;
      }
      if (this.withdrawsKey(kind, name, entry) !== withdrawals) continue;
      if (puts.length > 0 && bytes + entry.field.length > MAX_RESPONSE_BYTES) break;
      puts.push(entry);
      bytes += entry.field.length;
    }
    for (const p of puts) dirty.delete(p.name);
    if (dirty.size === 0) this.dirty.delete(kind);
    return puts;
  }

  private collectRemovals(kind: Kind): string[] {
    const dirty = this.dirty.get(kind);
    if (dirty === undefined || dirty.size === 0) return [];
    const rejected = this.rejected.get(kind);
    const removed: string[] = [];
    for (const name of dirty) {
      const entry = this.scope.entry(kind, name);
      if (entry !== undefined && this.subscribed(kind, name)) {
        // A put: sent already, or a key withdrawal that waits for the removals.
        if (!this.withdrawsKey(kind, name, entry)) dirty.delete(name);
        continue;
      }
      dirty.delete(name);
      if (rejected?.get(name)?.version === '') continue;
      if (this.known.get(kind)?.has(name) === true) removed.push(name);
    }
    if (dirty.size === 0) this.dirty.delete(kind);
    return removed;
  }

  /** Whether sending `entry` replaces a private key the proxy holds by the keyless certificate. */
  private withdrawsKey(kind: Kind, name: string, entry: EncodedResource): boolean {
    return kind === 'Certificate' && this.keysHeld.has(name) && !hasKey(entry);
  }

  private send(type: Kind, resources: EncodedResource[], removed: string[]): Outgoing {
    const nonce = (++this.nonceSeq).toString(36);
    const revision = this.snapshot.revision;
    this.inFlight = { nonce, type, resources, removed, revision, bytes: encodeResponse({ type, resources, removed, nonce, revision }) };
    return this.inFlight;
  }

  private acked(out: Outgoing): void {
    this.inFlight = undefined;
    this.lastAckAt = new Date();
    this.ackedTypes.set(out.type, out.revision);
    const known = this.knownMap(out.type);
    const rejected = this.rejected.get(out.type);
    for (const r of out.resources) {
      known.set(r.name, r.version);
      rejected?.delete(r.name);
      if (out.type === 'Certificate') {
        if (hasKey(r)) this.keysHeld.add(r.name);
        else this.keysHeld.delete(r.name);
      }
    }
    for (const name of out.removed) {
      known.delete(name);
      rejected?.delete(name);
      if (out.type === 'Certificate') this.keysHeld.delete(name);
    }
    this.retryDependents(out);
  }

  private nacked(out: Outgoing, detail: ErrorDetail): void {
    this.inFlight = undefined;
    const message = formatErrorDetail(detail);
    this.lastError = { revision: out.revision, message, at: new Date() };
    const named = new Set(detail.rejectedResources);
    const inResponse = (name: string): boolean => named.has(name);
    // Naming nothing that was sent means the whole response: never resend it in a loop.
    const whole = !out.resources.some((r) => inResponse(r.name)) && !out.removed.some(inResponse);
    let rejected = this.rejected.get(out.type);
    if (rejected === undefined) this.rejected.set(out.type, (rejected = new Map()));
    const dirty = this.dirtySet(out.type);
    for (const r of out.resources) {
      if (whole || inResponse(r.name)) rejected.set(r.name, { version: r.version, revision: out.revision, message });
      else dirty.add(r.name); // good, but rejected with a bad one: send again on its own
    }
    for (const name of out.removed) {
      if (whole || inResponse(name)) rejected.set(name, { version: '', revision: out.revision, message });
      else dirty.add(name);
    }
  }

  /**
   * A proxy may reject a resource because of another one (a route whose new cluster it rejected, the
   * removal of a cluster an old route still used). When that other one is ACKed, such a rejection no
   * longer stands: the held-back version is offered once more.
   */
  private retryDependents(out: Outgoing): void {
    const order = kindOrder(out.type);
    const put = new Set(out.resources.map((r) => r.name));
    for (const [kind, rejected] of this.rejected) {
      for (const [name, r] of rejected) {
        let retry = false;
        if (r.version === '') retry = kindOrder(kind) < order;
        else if (kindOrder(kind) > order && put.size > 0) {
          const entry = this.scope.entry(kind, name);
          retry = entry !== undefined && referencesOf(entry.resource).some((ref) => ref.kind === out.type && put.has(ref.name));
        }
        if (retry) {
          rejected.delete(name);
          this.dirtySet(kind).add(name);
        }
      }
      if (rejected.size === 0) this.rejected.delete(kind);
    }
  }

  private updateSubscription(kind: Kind, request: DiscoveryRequest): void {
    const initial = Object.entries(request.initialResourceVersions);
    if (request.subscribe.length === 0 && request.unsubscribe.length === 0 && initial.length === 0) return;
    let sub = this.subscriptions.get(kind);
    const isNew = sub === undefined;
    if (sub === undefined) this.subscriptions.set(kind, (sub = { wildcard: false, names: new Set() }));
    if (isNew && initial.length > 0) {
      // Reconnect: what the proxy already holds is not sent again.
      const known = this.knownMap(kind);
      for (const [name, version] of initial) {
        known.set(name, version);
        // Held since before a reconnect: a key is held when the version is that of the keyed form.
        const entry = kind === 'Certificate' ? this.snapshot.entry(kind, name) : undefined;
        if (entry !== undefined && entry.version === version && hasKey(entry)) this.keysHeld.add(name);
      }
    }
    for (const name of request.subscribe) {
      if (name === WILDCARD) sub.wildcard = true;
      else sub.names.add(name);
    }
    for (const name of request.unsubscribe) {
      if (name === WILDCARD) sub.wildcard = false;
      else sub.names.delete(name);
    }
    // The proxy drops what it unsubscribed from by itself (Envoy's delta semantics).
    const known = this.known.get(kind);
    if (known !== undefined) for (const name of [...known.names()]) if (!this.subscribed(kind, name)) known.delete(name);
    if (!sub.wildcard && sub.names.size === 0) this.subscriptions.delete(kind);
    this.markScoped(kind);
  }

  /**
   * Every name this proxy may be sent or hold of `kind`: its scope's (a sidecar declaring 3 of 2,000
   * services looks at its few routes, not the snapshot's thousands, when 10,000 proxies connect).
   */
  private markScoped(kind: Kind): void {
    const d = this.dirtySet(kind);
    for (const name of this.scope.base(kind).keys()) d.add(name);
    for (const name of this.scope.overrides(kind).keys()) d.add(name);
    for (const name of this.known.get(kind)?.names() ?? []) d.add(name);
  }

  private markAll(kind: Kind, snapshot: Snapshot): void {
    const d = this.dirtySet(kind);
    for (const name of snapshot.kind(kind).keys()) d.add(name);
    for (const name of this.known.get(kind)?.names() ?? []) d.add(name);
  }

  private subscribed(kind: Kind, name: string): boolean {
    const sub = this.subscriptions.get(kind);
    return sub !== undefined && (sub.wildcard || sub.names.has(name));
  }

  private dirtySet(kind: Kind): Set<string> {
    let d = this.dirty.get(kind);
    if (d === undefined) this.dirty.set(kind, (d = new Set()));
    return d;
  }

  private knownMap(kind: Kind): KnownVersions {
    let k = this.known.get(kind);
    if (k === undefined) this.known.set(kind, (k = new KnownVersions()));
    return k;
  }
}

export function formatErrorDetail(detail: ErrorDetail): string {
  const lines = [detail.code !== '' ? `${detail.code}: ${detail.message}` : detail.message];
  for (const e of detail.errors) lines.push(`${e.path}: ${e.message}`);
  return lines.filter((l) => l !== '').join('\n');
}
