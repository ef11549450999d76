// Writes health entries under this replica's lease, transitions only: a put that would store the
// verdict already stored by this writer is skipped, so repeated reports never reach etcd. Writes to
// one key are serialized; when the lease is lost (etcd unreachable past the TTL) every entry is
// written again under the new lease.
//
// For the leader-elected checker (B2): `put(entry, fence)` commits only while the fence key still has
// the create_revision the leader saw when it won, and resolves false when it does not (leadership
// lost). Use a source of your own (e.g. `checker`); the entry then counts as one more verdict in the
// rule of health-rule.ts.
import type { Logger } from 'pino';
import type { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import type { Fence } from '../store/fence.js';
import { encodeHealthEntry, healthKey, healthName } from './health-entry.js';
import type { HealthMetrics } from './health-metrics.js';

export interface HealthVerdict {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly health: Health;
  /** Default: this replica's id. */
  readonly source?: string;
}

interface KeyState {
  /** The health stored by this writer, undefined when absent. */
  stored: Health | undefined;
  /** The stored value, to write again after a lost lease. */
  value: string | undefined;
  fence: Fence | undefined;
  chain: Promise<unknown>;
}

export class HealthWriter {
  private readonly lease: Lease;
  private readonly keys = new Map<string, KeyState>();

  constructor(leases: LeaseStore, private readonly options: { replicaId: string; ttlSeconds: number; metrics?: HealthMetrics; log?: Logger }) {
    this.lease = leases.grant(options.ttlSeconds);
    this.lease.onLost(() => this.rewriteAll());
  }

  get replicaId(): string {
    return this.options.replicaId;
  }

  /**
   * Stores `verdict` unless this writer already stored that health for the endpoint (then resolves
   * true without a write). Resolves false when the fence failed; throws SLUICE_STORE_UNAVAILABLE
   * when etcd cannot be reached (nothing is stored; call again).
   */
  put(verdict: HealthVerdict, fence?: Fence): Promise<boolean> {
    const source = verdict.source ?? this.options.replicaId;
    const key = healthKey(verdict.cluster, verdict.address, verdict.port, source);
    return this.serialize(key, async (st) => {
      // Another fence is another term: meanwhile another leader may have written the key (under its
      // own lease), so what this writer stored in an earlier term proves nothing.
      if (st.stored === verdict.health && st.fence?.key === fence?.key && st.fence?.createRevision === fence?.createRevision) return true;
      const value = encodeHealthEntry({ ...verdict, source, replica: this.options.replicaId, since: new Date().toISOString() });
      const ok = await this.write('put', () => this.lease.put(key, value, fence));
      if (ok) Object.assign(st, { stored: verdict.health, value, fence });
      this.options.log?.debug({ key, health: healthName(verdict.health), ok }, 'health entry written');
      return ok;
    });
  }

  /** Deletes this writer's entry for the endpoint (nobody has a verdict any more). */
  remove(cluster: string, address: string, port: number, source?: string, fence?: Fence): Promise<boolean> {
    const key = healthKey(cluster, address, port, source ?? this.options.replicaId);
    return this.serialize(key, async (st) => {
      if (st.stored === undefined) return true;
      const ok = await this.write('delete', () => this.lease.delete(key, fence));
      if (ok) Object.assign(st, { stored: undefined, value: undefined, fence: undefined });
      return ok;
    });
  }

  /** Stops keeping the lease alive (`revoke`: deletes every entry now). */
  async close(revoke: boolean): Promise<void> {
    await Promise.all([...this.keys.values()].map((s) => s.chain));
    if (revoke) await this.lease.revoke();
    else this.lease.release();
  }

  private serialize(key: string, fn: (st: KeyState) => Promise<boolean>): Promise<boolean> {
    let st = this.keys.get(key);
    if (st === undefined) this.keys.set(key, (st = { stored: undefined, value: undefined, fence: undefined, chain: Promise.resolve() }));
    const state = st;
    const run = state.chain.then(() => fn(state));
    state.chain = run.catch(() => undefined);
    return run;
  }

  private async write(op: 'put' | 'delete', fn: () => Promise<boolean>): Promise<boolean> {
    try {
      const ok = await fn();
      this.options.metrics?.wrote('health', op, ok ? 'ok' : 'fenced');
      return ok;
    } catch (err) {
      this.options.metrics?.wrote('health', op, 'error');
      throw err;
    }
  }

  /** The lease was lost, and its keys with it: write every stored entry again, as it was. */
  private rewriteAll(): void {
    for (const [key, st] of this.keys) {
      if (st.value === undefined) continue;
      const value = st.value;
      const fence = st.fence;
      void this.serialize(key, async (s) => {
        if (s.value !== value) return true;
        const ok = await this.write('put', () => this.lease.put(key, value, fence)).catch(() => false);
        if (!ok) Object.assign(s, { stored: undefined, value: undefined, fence: undefined });
        return ok;
      });
    }
  }
}
