// Self-registration: a sidecar whose first request carries node.self_endpoint is written to
// /sluice/registrations/<service>/<node-id> under a lease of its own, kept alive while its stream is
// open. When the stream ends the keepalive stops, and the entry expires one TTL later unless the proxy
// reconnects (to any replica), which writes it again under that replica's lease. A HealthReport
// DRAINING for its own endpoint (DiscoveryClient.announceDraining) rewrites it as DRAINING.
import type { Logger } from 'pino';
import type { HealthReport, Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import { encodeRegistration, registrationKey, type Registration } from './health-entry.js';
import type { HealthMetrics } from './health-metrics.js';

const RETRY_MS = 1000;

interface Registered {
  readonly lease: Lease;
  readonly key: string;
  registration: Registration;
  open: boolean;
  retry: NodeJS.Timeout | undefined;
  /** Writes of one registration go in order, each with the registration as it is then. */
  chain: Promise<void>;
}

export class Registrar {
  private readonly streams = new Map<string, Registered>();

  constructor(private readonly leases: LeaseStore, private readonly options: { replicaId: string; ttlSeconds: number; metrics?: HealthMetrics; log?: Logger }) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * A stream opened (`stream` identifies it): registers node.self_endpoint when set, with `identity`
   * (the SPIFFE ID the stream's workload credential proves, none for an admin token) so that other
   * sidecars reach it with mutual TLS and check that certificate.
   */
  open(stream: string, node: Node, identity?: string): void {
    const self = node.selfEndpoint;
    if (self === undefined) return;
    const problem = node.service === '' ? 'node.service: a registered endpoint needs the service it belongs to'
      : self.address === '' ? 'node.selfEndpoint.address: must not be empty'
      : !(self.port >= 1 && self.port <= 65535) ? `node.selfEndpoint.port: must be 1-65535, got ${self.port}` : undefined;
    if (problem !== undefined) {
      this.options.log?.warn({ node: node.id, error: problem }, 'self-registration ignored');
      return;
    }
    const lease = this.leases.grant(this.options.ttlSeconds);
    const reg: Registered = {
      lease,
      key: registrationKey(node.service, node.id),
      registration: {
        service: node.service, nodeId: node.id, address: self.address, port: self.port, zone: self.zone || node.zone,
        ...(identity === undefined ? {} : { identity }),
        // A proxy that reconnects while draining says so in its node.
        health: self.health === Health.DRAINING ? Health.DRAINING : Health.UNKNOWN,
        replica: this.options.replicaId, since: new Date().toISOString(),
      },
      open: true,
      retry: undefined,
      chain: Promise.resolve(),
    };
    this.streams.set(stream, reg);
    lease.onLost(() => this.write(reg));
    this.write(reg);
  }

  /**
   * A report about the stream's own registered endpoint: DRAINING rewrites the registration. True
   * when the report was about its own endpoint (it is then not a vote on anyone's health).
   */
  ownReport(stream: string, report: HealthReport): boolean {
    const reg = this.streams.get(stream);
    if (reg === undefined) return false;
    const r = reg.registration;
    if (report.cluster !== r.service || report.address !== r.address || report.port !== r.port) return false;
    if (report.health === Health.DRAINING && r.health !== Health.DRAINING) {
      reg.registration = { ...r, health: Health.DRAINING, since: new Date().toISOString() };
      this.options.log?.info({ node: r.nodeId, service: r.service }, 'registered endpoint is draining');
      this.write(reg);
    }
    return true;
  }

  /** The stream ended: stop the keepalive; the registration expires after the TTL unless written again. */
  close(stream: string): void {
    const reg = this.streams.get(stream);
    if (reg === undefined) return;
    this.streams.delete(stream);
    reg.open = false;
    clearTimeout(reg.retry);
    reg.lease.release();
  }

  /** This replica stops: every registration is left to expire (its proxies reconnect elsewhere). */
  closeAll(): void {
    for (const stream of [...this.streams.keys()]) this.close(stream);
  }

  private write(reg: Registered): void {
    if (!reg.open) return;
    clearTimeout(reg.retry);
    reg.chain = reg.chain.then(() => (reg.open ? reg.lease.put(reg.key, encodeRegistration(reg.registration)) : undefined)).then(
      // undefined: the stream closed before this write's turn, nothing was written.
      (written) => {
        if (written !== undefined) this.options.metrics?.wrote('registration', 'put', 'ok');
      },
      (err: unknown) => {
        this.options.metrics?.wrote('registration', 'put', 'error');
        this.options.log?.warn({ key: reg.key, err }, 'cannot write a registration; retrying');
        reg.retry = setTimeout(() => this.write(reg), RETRY_MS);
        reg.retry.unref();
      },
    );
  }
}
