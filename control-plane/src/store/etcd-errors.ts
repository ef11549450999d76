// What an etcd3 failure means to the control plane: almost always "etcd cannot be reached" (503);
// a request etcd finds too large is the caller's (413); a malformed request is our bug (500).
import { ClientClosedError, GRPCInvalidArgumentError, GRPCOutOfRangeError } from 'etcd3';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { requestTooLargeError } from './write-checks.js';

export function toStoreError(err: unknown, action: string): ControlPlaneError {
  if (err instanceof ControlPlaneError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('request is too large') || message.includes('received message larger than max')) {
    return requestTooLargeError(message, err);
  }
  if (err instanceof ClientClosedError) {
    return new ControlPlaneError(ErrorCode.StoreUnavailable, `cannot ${action}: the etcd store is closed`, { cause: err });
  }
  if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError) {
    return new ControlPlaneError(ErrorCode.Internal, `etcd refused to ${action}: ${message}`, { cause: err });
  }
  return new ControlPlaneError(ErrorCode.StoreUnavailable, `etcd is unavailable (${action}): ${message}`, { cause: err });
}

/** etcd's answer to a read at a revision that compaction removed. */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}

/** etcd's answer to a read at a revision it has not reached. */
export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision is a future revision');
}

export function isTooManyOpsError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('too many operations in txn request');
}
