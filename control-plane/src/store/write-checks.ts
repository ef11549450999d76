// What both stores check and report the same way about a transaction: its targets, etcd's limits,
// meta keys, and the errors for a failed If-Match or a concurrent write.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { resourcePath, type Kind } from '../../../proto/src/model/kinds.js';
import { GENERATION_KEY, META_PREFIX, resourceKey } from './keys.js';
import type { MetaWrite, WriteOp } from './store.js';

/** etcd's own defaults (`--max-txn-ops`, `--max-request-bytes`), for a store in front of an etcd run without flags. */
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

/**
 * The transaction limits the store was told etcd has (`--store-max-txn-ops`, `--store-max-request-bytes`);
 * the store refuses a commit over them before sending it, with an answer that names the limit.
 */
export interface StoreLimits {
  /** etcd's `--max-txn-ops`: operations of one transaction, the generation key and meta keys included. */
  readonly maxTxnOps: number;
  /** etcd's `--max-request-bytes`, measured as the keys and values a commit writes. */
  readonly maxRequestBytes: number;
}

/** What deploy/ runs etcd with, and so the control plane's defaults: room for a 5,000-resource apply. */
export const DEFAULT_STORE_LIMITS: StoreLimits = Object.freeze({ maxTxnOps: 10240, maxRequestBytes: 10 * 1024 * 1024 });

/** Keys and values a commit writes, in bytes (what `maxRequestBytes` is checked against). */
export function commitBytes(ops: readonly WriteOp[], values: readonly (string | undefined)[], meta: readonly MetaWrite[]): number {
  const resources = ops.reduce((sum, op, i) => sum + opTarget(op).key.length + Buffer.byteLength(values[i] ?? ''), 0);
  return meta.reduce((sum, m) => sum + Buffer.byteLength(m.key) + Buffer.byteLength(m.value ?? ''), resources);
}

/** Refuses a commit over `limits` before it is sent: SLUICE_PAYLOAD_TOO_LARGE naming the limit and its flags. */
export function checkLimits(ops: readonly WriteOp[], meta: readonly MetaWrite[], bytes: number, limits: StoreLimits): void {
  const total = ops.length + meta.length + 1;
  if (total > limits.maxTxnOps) throw tooManyOpsError(ops.length, total, limits.maxTxnOps);
  if (bytes > limits.maxRequestBytes) throw requestTooLargeError(bytes, limits.maxRequestBytes);
}

/** `count` resource writes (`total` operations with the generation key and meta keys) over the limit. */
export function tooManyOpsError(count: number, total: number, maxTxnOps: number, etcdRefused = false): ControlPlaneError {
  const why = etcdRefused
    ? `etcd refused ${total} operations in one transaction although --store-max-txn-ops is ${maxTxnOps}: etcd's --max-txn-ops is lower; set both to the same value`
    : `${total} operations (with the generation key and the change's history and apply-set records) are more than the limit of ${maxTxnOps} ` +
      `(--store-max-txn-ops, which must match etcd's --max-txn-ops); raise both, or apply in smaller batches`;
  return new ControlPlaneError(ErrorCode.PayloadTooLarge, `${count} resources do not fit in one transaction: ${why}`);
}

/** A commit of `bytes` over `maxRequestBytes`; `cause` set when etcd refused it (its own limit is lower). */
export function requestTooLargeError(bytes: number, maxRequestBytes: number, cause?: unknown): ControlPlaneError {
  const why = cause === undefined
    ? `more than the limit of ${maxRequestBytes} bytes (--store-max-request-bytes, which must match etcd's --max-request-bytes); raise both, or apply in smaller batches`
    : `etcd refused it as too large although --store-max-request-bytes is ${maxRequestBytes}: etcd's --max-request-bytes is lower; set both to the same value`;
  return new ControlPlaneError(ErrorCode.PayloadTooLarge, `the transaction writes ${bytes} bytes of keys and values, ${why}`, { cause });
}

/**
 * Meta keys a commit writes beside the resources (history and apply-set records) live under META_PREFIX; the
 * generation key is the store's own. Anything else is a bug of the caller.
 */
export function checkMetaKeys(meta: readonly MetaWrite[]): void {
  const seen = new Set<string>();
  for (const m of meta) {
    if (!m.key.startsWith(META_PREFIX) || m.key === GENERATION_KEY || m.key.length === META_PREFIX.length) {
      throw new ControlPlaneError(ErrorCode.Internal, `a commit may write keys under ${META_PREFIX} other than the generation key, not ${m.key}`);
    }
    if (seen.has(m.key)) throw new ControlPlaneError(ErrorCode.Internal, `${m.key} appears more than once in one transaction`);
    seen.add(m.key);
  }
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
