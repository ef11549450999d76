// This replica's verdict on each endpoint: the majority (health-rule.ts) of the latest reports of the
// proxies connected to it. A proxy's votes go away when its stream closes. Only a change of the
// verdict reaches the writer, which skips what it already stored: repeated reports cost no write.
import type { Logger } from 'pino';
import type { HealthReport } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { endpointId, healthName } from './health-entry.js';
import type { HealthMetrics } from './health-metrics.js';
import { decideHealth } from './health-rule.js';
import type { HealthWriter } from './health-writer.js';

const RETRY_MS = 1000;

interface EndpointVotes {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** Reporter (one stream) → its latest health for the endpoint. */
  readonly votes: Map<string, Health>;
  verdict: Health | undefined;
  retry: NodeJS.Timeout | undefined;
}

export class HealthAggregator {
  private readonly endpoints = new Map<string, EndpointVotes>();
  /** Reporter → the endpoints it voted on. */
  private readonly byReporter = new Map<string, Set<string>>();
  private closed = false;

  constructor(private readonly writer: HealthWriter, private readonly options: { metrics?: HealthMetrics; log?: Logger } = {}) {}

  /**
   * Reports from one stream (`reporter`): the proxy's full view on its first request, transitions
   * after. UNKNOWN withdraws the reporter's vote. Invalid reports are logged with their field path
   * and skipped.
   */
  report(reporter: string, reports: readonly HealthReport[]): void {
    const touched = new Set<string>();
    reports.forEach((r, i) => {
      const problem = invalidReport(r);
      if (problem !== undefined) {
        this.options.log?.warn({ reporter, path: `health[${i}].${problem.field}`, error: problem.message }, 'health report ignored');
        return;
      }
      const id = `${r.cluster}/${endpointId(r.address, r.port)}`;
      let ep = this.endpoints.get(id);
      if (ep === undefined) this.endpoints.set(id, (ep = { cluster: r.cluster, address: r.address, port: r.port, votes: new Map(), verdict: undefined, retry: undefined }));
      let mine = this.byReporter.get(reporter);
      if (mine === undefined) this.byReporter.set(reporter, (mine = new Set()));
      if (r.health === Health.UNKNOWN) {
        ep.votes.delete(reporter);
        mine.delete(id);
      } else {
        ep.votes.set(reporter, r.health);
        mine.add(id);
      }
      touched.add(id);
    });
    for (const id of touched) this.sync(id);
  }

  /** The reporter's stream closed: its votes go. */
  dropReporter(reporter: string): void {
    const mine = this.byReporter.get(reporter);
    if (mine === undefined) return;
    this.byReporter.delete(reporter);
    for (const id of mine) {
      this.endpoints.get(id)?.votes.delete(reporter);
      this.sync(id);
    }
  }

  /** This replica's current verdicts, for tests and the log. */
  verdicts(): Map<string, Health> {
    const out = new Map<string, Health>();
    for (const [id, ep] of this.endpoints) if (ep.verdict !== undefined) out.set(id, ep.verdict);
    return out;
  }

  close(): void {
    this.closed = true;
    for (const ep of this.endpoints.values()) clearTimeout(ep.retry);
  }

  private sync(id: string): void {
    const ep = this.endpoints.get(id);
    if (ep === undefined || this.closed) return;
    const verdict = decideHealth(ep.votes.values());
    if (verdict === ep.verdict) {
      // No vote and nothing stored (an UNKNOWN about an endpoint nobody voted on): forget it, or every
      // such report would leave an entry behind for good. The writer orders a removal still in flight.
      if (verdict === undefined && ep.votes.size === 0) this.endpoints.delete(id);
      return;
    }
    ep.verdict = verdict;
    if (verdict !== undefined) this.options.metrics?.transition(healthName(verdict));
    this.options.log?.info({ endpoint: id, health: verdict === undefined ? null : healthName(verdict), reporters: ep.votes.size }, 'endpoint health verdict changed');
    this.store(id, ep);
  }

  /** Writes the verdict; retries while etcd is unreachable (or the write was superseded meanwhile). */
  private store(id: string, ep: EndpointVotes): void {
    clearTimeout(ep.retry);
    const verdict = ep.verdict;
    const done = verdict === undefined ? this.writer.remove(ep.cluster, ep.address, ep.port) : this.writer.put({ cluster: ep.cluster, address: ep.address, port: ep.port, health: verdict });
    done.then(
      () => {
        if (verdict === undefined && ep.votes.size === 0 && ep.verdict === undefined) this.endpoints.delete(id);
      },
      (err: unknown) => {
        this.options.log?.warn({ endpoint: id, err }, 'cannot store an endpoint health verdict; retrying');
        ep.retry = setTimeout(() => {
          if (ep.verdict === verdict && !this.closed) this.store(id, ep);
        }, RETRY_MS);
        ep.retry.unref();
      },
    );
  }
}

function invalidReport(r: HealthReport): { field: string; message: string } | undefined {
  if (r.cluster === '') return { field: 'cluster', message: 'must name a cluster' };
  if (r.address === '') return { field: 'address', message: 'must not be empty' };
  if (!(r.port >= 1 && r.port <= 65535)) return { field: 'port', message: `must be 1-65535, got ${r.port}` };
  if (Health[r.health] === undefined) return { field: 'health', message: `unknown health ${r.health}` };
  return undefined;
}
