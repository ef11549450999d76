// What both stores check and report the same way about a transaction: its targets, etcd's limits,
// and the errors for a failed If-Match or a concurrent write.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { resourcePath, type Kind } from '../../../proto/src/model/kinds.js';
import { GENERATION_KEY, META_PREFIX, resourceKey } from './keys.js';
import type { MetaWrites, WriteOp } from './store.js';

/** etcd's defaults (`--max-txn-ops`, `--max-request-bytes`); the embedded store enforces the same. */
export const ETCD_MAX_TXN_OPS = 128;
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export interface OpTarget {
  readonly kind: Kind;
  readonly name: string;
  readonly key: string;
}

export function opTarget(op: WriteOp): OpTarget {
  const kind = op.op === 'put' ? op.resource.kind : op.kind;
  const name = op.op === 'put' ? op.resource.spec.name : op.name;
  return { kind, name, key: resourceKey(kind, name) };
}

/** etcd refuses a transaction that touches one key twice; say which resource it was. */
export function checkDistinctTargets(ops: readonly WriteOp[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    const t = opTarget(op);
    if (seen.has(t.key)) {
      const path = resourcePath(t.kind, t.name);
      throw new ControlPlaneError(ErrorCode.Validation, `${path} appears more than once in one transaction`, {
        errors: [{ path, message: 'appears more than once in one transaction' }],
      });
    }
    seen.add(t.key);
  }
}

/** `ops` resources, the records written beside them (`meta`) and the generation key must fit in one etcd transaction. */
export function tooManyOpsError(count: number, maxTxnOps = ETCD_MAX_TXN_OPS, metaCount = 0): ControlPlaneError {
  const records = metaCount === 0 ? '' : ` and ${metaCount} record${metaCount === 1 ? '' : 's'} of the change`;
  return new ControlPlaneError(ErrorCode.PayloadTooLarge,
    `${count} resources${records} do not fit in one transaction: etcd takes at most --max-txn-ops (${maxTxnOps} by default) ` +
    `operations, one of them the generation key; apply them in smaller batches`);
}

export function requestTooLargeError(detail: string, cause?: unknown): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.PayloadTooLarge,
    `the transaction is larger than etcd accepts in one request (--max-request-bytes, 1.5 MiB by default): ${detail}`, { cause });
}

/** An `ifRevision` that does not match: `current` is the resource's revision, 0 when it does not exist. */
export function conflictError(target: Pick<OpTarget, 'kind' | 'name'>, current: number, expected: number): ControlPlaneError {
  const path = resourcePath(target.kind, target.name);
  const detail = expected === 0
    ? `already exists (revision ${current})`
    : current === 0 ? `does not exist (If-Match said revision ${expected})` : `is at revision ${current}, not ${expected}`;
  return new ControlPlaneError(ErrorCode.Conflict, `${path} ${detail}`, { errors: [{ path, message: detail }] });
}

export function concurrentWriteError(validatedAt: number, changedAt: number): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.ConcurrentWrite,
    `resources changed at revision ${changedAt}, after revision ${validatedAt} that this write was checked against; check again`);
}

/** The meta keys a commit writes, checked: each under META_PREFIX, never the generation key, once. */
export function metaKeys(meta: MetaWrites | undefined): string[] {
  const keys = [...(meta?.puts ?? []).map((p) => p.key), ...(meta?.deletes ?? [])];
  const seen = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(META_PREFIX) || key === GENERATION_KEY || key.length === META_PREFIX.length || seen.has(key)) {
      throw new ControlPlaneError(ErrorCode.Internal, `a commit may not write the meta key "${key}" (outside ${META_PREFIX}, the generation key, or twice)`);
    }
    seen.add(key);
  }
  return keys;
}
