// One resource commit on etcd: a compare-and-swap transaction, tried on another member when the one
// it went to failed, and reconciled when an earlier attempt may have committed after all.
//
// Every commit writes the generation key, with an id of its own as the value, and requires that key
// unchanged since `validatedAt`. So a commit can never apply twice: once an attempt committed, every
// later attempt fails that compare. What a failed compare means is then the question: an attempt
// whose answer was lost (the member died, the deadline passed while a new etcd leader was elected)
// may have committed. Because of the same compare, our commit, if it landed, is the *first* write of
// the generation key after `validatedAt`; reading the key's history back from its current value to
// that point tells whether that write carries our id.
import { randomBytes } from 'node:crypto';
import { CompareResult, CompareTarget, type Etcd3, type ICompare, type IKeyValue, type IRequestOp, type ITxnResponse } from 'etcd3';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { callWithFailover, type CallBudget } from './etcd-failover.js';
import { isCompactedError, isTooManyOpsError, provesNotSent, toStoreError } from './etcd-errors.js';
import { GENERATION_KEY } from './keys.js';
import type { SecretSealer } from '../identity/secret-sealer.js';
import { toStoredValue } from './stored-value.js';
import type { MetaWrite, WriteOp } from './store.js';
import {
  checkDistinctTargets, checkLimits, checkMetaKeys, commitBytes, concurrentWriteError, conflictError, opTarget,
  requestTooLargeError, tooManyOpsError, type StoreLimits,
} from './write-checks.js';

const GENERATION = Buffer.from(GENERATION_KEY);
/** Generation writes read back when looking for our own commit; more than this many after ours in the meantime is "unknown". */
const MAX_HISTORY_STEPS = 32;

/** Applies `ops` in one transaction and returns its revision; see ResourceStore.commit for the errors. */
export async function commitOps(
  client: Etcd3, budget: CallBudget, ops: readonly WriteOp[], validatedAt: number, sealer: SecretSealer, limits: StoreLimits, meta: readonly MetaWrite[] = [],
): Promise<number> {
  checkDistinctTargets(ops);
  checkMetaKeys(meta);
  const values = ops.map((op) => (op.op === 'put' ? toStoredValue(op.resource, sealer) : undefined));
  const bytes = commitBytes(ops, values, meta);
  // Refused here, before sending, with the limit named: etcd's own refusal says neither.
  checkLimits(ops, meta, bytes, limits);
  const txnId = randomBytes(12).toString('base64url');
  const targets = ops.map(opTarget);
  const conditioned = ops.flatMap((op, i) => (op.ifRevision === undefined ? [] : [{ target: targets[i]!, ifRevision: op.ifRevision }]));
  const compare: ICompare[] = [
    // Nothing committed after validatedAt: the generation key's mod_revision <= validatedAt.
    { key: GENERATION, target: CompareTarget.Mod, result: CompareResult.Less, mod_revision: validatedAt + 1 },
    ...conditioned.map(({ target, ifRevision }): ICompare => (ifRevision === 0
      ? { key: Buffer.from(target.key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }
      : { key: Buffer.from(target.key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: ifRevision })),
  ];
  const success: IRequestOp[] = ops.map((op, i): IRequestOp => (op.op === 'put'
    ? { request_put: { key: Buffer.from(targets[i]!.key), value: Buffer.from(values[i]!) } }
    : { request_delete_range: { key: Buffer.from(targets[i]!.key) } }));
  for (const m of meta) {
    success.push(m.value === undefined ? { request_delete_range: { key: Buffer.from(m.key) } } : { request_put: { key: Buffer.from(m.key), value: Buffer.from(m.value) } });
  }
  success.push({ request_put: { key: GENERATION, value: Buffer.from(txnId) } });
  // When a compare fails, the failure branch reads every compared key in the same transaction, so
  // the error names the right cause at the revision the compares saw.
  const failure: IRequestOp[] = [
    { request_range: { key: GENERATION } },
    ...conditioned.map(({ target }): IRequestOp => ({ request_range: { key: Buffer.from(target.key) } })),
  ];

  const deadline = Date.now() + budget.requestTimeoutMs;
  /** Failed attempts that may have reached etcd, and so may have committed. */
  let uncertain = 0;
  let res: ITxnResponse;
  try {
    res = await callWithFailover('commit', budget, async (attemptDeadline) => {
      try {
        return await client.kv.txn({ compare, success, failure }, { deadline: attemptDeadline });
      } catch (err) {
        if (!provesNotSent(err)) uncertain++;
        throw err;
      }
    }, { deadline, onExhausted: () => (uncertain > 0 ? 'the write may or may not have been applied' : 'the write was not applied') });
  } catch (err) {
    const storeError = toStoreError(err, 'commit');
    // Under our limits but refused: etcd runs with lower ones than the control plane was told.
    if (isTooManyOpsError(storeError.cause)) throw tooManyOpsError(ops.length, success.length, limits.maxTxnOps, true);
    if (storeError.code === ErrorCode.PayloadTooLarge) throw requestTooLargeError(bytes, limits.maxRequestBytes, storeError.cause ?? storeError);
    throw storeError;
  }
  if (res.succeeded) return Number(res.header.revision);

  const generation = res.responses[0]?.response_range?.kvs[0];
  if (uncertain > 0) {
    const landedAt = await findOwnCommit(client, budget, txnId, validatedAt, generation, deadline);
    if (landedAt !== undefined) return landedAt;
  }
  const modRevisionAt = (i: number): number => Number(res.responses[i]?.response_range?.kvs[0]?.mod_revision ?? 0);
  for (const [i, { target, ifRevision }] of conditioned.entries()) {
    const current = modRevisionAt(i + 1);
    if (current !== ifRevision) throw conflictError(target, current, ifRevision);
  }
  const generationRevision = modRevisionAt(0);
  if (generationRevision > validatedAt) throw concurrentWriteError(validatedAt, generationRevision);
  throw new ControlPlaneError(ErrorCode.Internal, `etcd refused the transaction at revision ${res.header.revision} but no compare explains it`);
}

/**
 * The revision at which the commit `txnId` landed, or undefined when it did not. Walks the generation
 * key back from `current` (as the failed compare read it) to the first write after `validatedAt`.
 */
async function findOwnCommit(client: Etcd3, budget: CallBudget, txnId: string, validatedAt: number, current: IKeyValue | undefined, commitDeadline: number): Promise<number | undefined> {
  const deadline = Math.max(commitDeadline, Date.now() + budget.attemptTimeoutMs);
  let kv = current;
  for (let step = 0; step < MAX_HISTORY_STEPS; step++) {
    if (kv === undefined || Number(kv.mod_revision) <= validatedAt) return undefined;
    if (kv.value.toString() === txnId) return Number(kv.mod_revision);
    const before = Number(kv.mod_revision) - 1;
    try {
      const res = await callWithFailover('read back the commit history', budget,
        (attemptDeadline) => client.kv.range({ key: GENERATION, revision: before }, { deadline: attemptDeadline }), { deadline });
      kv = res.kvs[0];
    } catch (err) {
      throw outcomeUnknown(err, isCompactedError(err) ? 'etcd compacted the history that would tell' : undefined);
    }
  }
  throw outcomeUnknown(undefined, `more than ${MAX_HISTORY_STEPS} commits landed after it`);
}

function outcomeUnknown(cause: unknown, why?: string): ControlPlaneError {
  const detail = why ?? (cause instanceof ControlPlaneError ? cause.message : toStoreError(cause, 'read back the commit history').message);
  return new ControlPlaneError(ErrorCode.StoreUnavailable,
    `etcd lost the answer to the commit and cannot say whether it was applied (${detail}); read the resources before trying again`, { cause });
}
