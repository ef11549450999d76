// Re-encryption after an encryption key rotation: every Certificate that holds a private key is written
// again as it is, so the store seals it with the current first key (Kubernetes' "re-encrypt all
// secrets" step: read and replace each one). Content and versions stay the same; revisions move.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ResourceStore, WriteOp } from './store.js';
import { ETCD_MAX_TXN_OPS } from './write-checks.js';

export interface ResealOutcome {
  /** The store revision after the last rewrite (the listed one when there was nothing to rewrite). */
  readonly revision: number;
  /** Certificates rewritten. */
  readonly certificates: number;
}

/**
 * Certificates per transaction: well under etcd's --max-txn-ops (128) and, at a few KiB each, under
 * its --max-request-bytes (1.5 MiB).
 */
const BATCH = Math.min(64, ETCD_MAX_TXN_OPS - 1);
/** Passes started over after another write got in between. */
const MAX_PASSES = 5;

export async function resealCertificates(store: ResourceStore): Promise<ResealOutcome> {
  for (let pass = 1; ; pass++) {
    const { resources, revision } = await store.list();
    const targets = resources.filter((r) => r.resource.kind === 'Certificate' && r.resource.spec.privateKey !== '');
    let at = revision;
    try {
      for (let i = 0; i < targets.length; i += BATCH) {
        // Each put is conditioned on the revision listed: a certificate changed meanwhile was sealed
        // by that write and is not overwritten with older content.
        const ops: WriteOp[] = targets.slice(i, i + BATCH).map((r) => ({ op: 'put', resource: r.resource, ifRevision: r.revision }));
        at = await store.commit(ops, at);
      }
      return { revision: at, certificates: targets.length };
    } catch (err) {
      const raced = err instanceof ControlPlaneError && (err.code === ErrorCode.Conflict || err.code === ErrorCode.ConcurrentWrite);
      if (!raced || pass >= MAX_PASSES) throw err;
    }
  }
}
