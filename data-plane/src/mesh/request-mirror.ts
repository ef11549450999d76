// Shadow traffic (Forward.mirrors): a copy of a forwarded request goes to another cluster and its
// answer is thrown away, as Envoy's request_mirror_policies and Istio's `mirror` do. The copy is the
// request as the primary upstream gets it (after rewrites and header edits), its Host with `-shadow`
// appended so the shadow can tell it apart. It never holds up or changes the request it copies: it
// leaves on the next turn of the event loop, after the original was sent; its failures are only
// counted; a copy in flight longer than its timeout is cut; a cluster already holding
// MAX_IN_FLIGHT_PER_CLUSTER copies gets none until some end. Only requests whose body the proxy holds
// whole (none, or buffered: request-body-buffer.ts) are copied; a streamed body is not kept, so those
// requests are counted as skipped.
import type { MirrorResult, MirrorStats } from '../metrics/mirror-stats.js';
import type { CompiledMirror } from '../routing/compiled-route.js';
import { HeaderList } from '../protocols/header-list.js';
import type { Session } from '../proxy/session.js';
import type { ClusterState } from '../snapshot/cluster-state.js';
import type { ExchangeHandler, UpstreamConnection, UpstreamRequest } from '../upstream/upstream-client.js';
import type { Peer } from '../upstream/peer.js';

/** Copies in flight per shadow cluster before new ones are skipped: a dead or slow shadow costs bounded memory. */
export const MAX_IN_FLIGHT_PER_CLUSTER = 256;
/** A copy's answer is awaited at most this long when its route sets no timeout. */
export const DEFAULT_MIRROR_TIMEOUT_MS = 15_000;

export class RequestMirroring {
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly stats: MirrorStats,
    private readonly random: () => number = Math.random,
    private readonly maxInFlightPerCluster = MAX_IN_FLIGHT_PER_CLUSTER,
  ) {}

  /**
   * Sends a copy of `request` (the first try's, as it goes upstream) to each of `mirrors` whose
   * chance comes up. Returns at once; the copies leave on the next turn of the event loop.
   */
  mirror(session: Session, request: UpstreamRequest, route: string, mirrors: readonly CompiledMirror[], clusters: ReadonlyMap<string, ClusterState>, timeoutMs: number): void {
    const chosen = mirrors.filter((m) => m.fraction >= 1 || this.random() < m.fraction);
    if (chosen.length === 0) return;
    const body = session.bufferedBody;
    if (request.bodyLength !== 0 && body === undefined) {
      for (const m of chosen) this.stats.add(route, m.cluster, 'skipped');
      return;
    }
    const method = request.method;
    const target = request.target;
    const raw = request.headers.raw.slice();
    const bodyLength = request.bodyLength;
    setImmediate(() => {
      for (const m of chosen) {
        const cluster = clusters.get(m.cluster);
        const peer = cluster?.pick(session, []);
        const busy = this.inFlight.get(m.cluster) ?? 0;
        if (peer === undefined || busy >= this.maxInFlightPerCluster) {
          this.stats.add(route, m.cluster, 'skipped');
          continue;
        }
        const headers = new HeaderList(raw.slice());
        headers.set('host', `${headers.get('host') ?? session.authority}-shadow`);
        this.send(route, m.cluster, peer, { method, target, headers, bodyLength }, body, timeoutMs);
      }
    });
  }

  private send(route: string, cluster: string, peer: Peer, request: UpstreamRequest, body: readonly Buffer[] | undefined, timeoutMs: number): void {
    this.inFlight.set(cluster, (this.inFlight.get(cluster) ?? 0) + 1);
    peer.inflight++;
    let conn: UpstreamConnection | undefined;
    let done = false;
    const finish = (result: MirrorResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      peer.inflight--;
      this.inFlight.set(cluster, this.inFlight.get(cluster)! - 1);
      this.stats.add(route, cluster, result);
    };
    const timer = setTimeout(() => {
      conn?.abort();
      finish('failed');
    }, timeoutMs);
    timer.unref();
    const handler: ExchangeHandler = {
      onResponseHead: () => undefined,
      onResponseData: () => true,
      onResponseEnd: () => finish('answered'),
      onError: () => finish('failed'),
      onRequestDrain: () => undefined,
    };
    const start = (c: UpstreamConnection): void => {
      if (done) return c.abort();
      conn = c;
      c.send(request, handler);
      if (request.bodyLength !== 0 && body !== undefined) {
        for (const chunk of body) c.writeBody(chunk);
        c.endBody();
      }
    };
    try {
      const acquired = peer.pool.acquire();
      if (acquired instanceof Promise) acquired.then(start, () => finish('failed'));
      else start(acquired);
    } catch {
      finish('failed');
    }
  }
}
