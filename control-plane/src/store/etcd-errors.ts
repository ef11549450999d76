// What an etcd3 failure means to the control plane: almost always "etcd cannot be reached" (503);
// a request etcd finds too large is the caller's (413); a malformed request is our bug (500). And which
// failures are worth another attempt on another member.
import { isBrokenCircuitError } from 'cockatiel';
import { ClientClosedError, GRPCInvalidArgumentError, GRPCOutOfRangeError } from 'etcd3';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { GrpcCode, grpcStatusOf } from '../grpc-status.js';

/**
 * Whether another attempt, on this member or another, may succeed: the member is down or cut off
 * (UNAVAILABLE, also etcd's "no leader", "leader changed", "request timed out"), did not answer
 * within the attempt's deadline (ours or etcd's), or was skipped because it failed just before (open circuit).
 * Whether repeating the request is *safe* is the caller's concern (see etcd-commit.ts).
 */
export function isRetryable(err: unknown): boolean {
  if (isBrokenCircuitError(err)) return true;
  const status = grpcStatusOf(err);
  if (status === undefined) return false;
  if (status.code === GrpcCode.Unavailable || status.code === GrpcCode.DeadlineExceeded || status.code === GrpcCode.Cancelled) return true;
  // etcd's own deadline (it takes the call's) ran out first, e.g. a read waiting for a leader.
  if (status.code === GrpcCode.Unknown) return /context deadline exceeded|context canceled/.test(status.details);
  // The connection broke mid-call; grpc-js reports some of those as INTERNAL.
  return status.code === GrpcCode.Internal && /RST_STREAM|Connection dropped|socket hang up/i.test(status.details);
}

/**
 * Whether a failure counts against the member it came from (its circuit opens and calls go to the
 * others for a while). CANCELLED does not: it is what our own cancel of a stream looks like.
 */
export function isMemberFault(err: unknown): boolean {
  const status = grpcStatusOf(err);
  return status !== undefined && (status.code === GrpcCode.Unavailable || status.code === GrpcCode.DeadlineExceeded);
}

/** Whether the request certainly never reached a member (so it cannot have been applied). */
export function provesNotSent(err: unknown): boolean {
  if (isBrokenCircuitError(err)) return true;
  const status = grpcStatusOf(err);
  return status !== undefined && /No connection established|ECONNREFUSED|Waiting for LB pick|waiting for name resolution/.test(status.details);
}

/** The member address that refused the connection (`127.0.0.1:2379`), when the error says. */
export function refusedAddress(err: unknown): string | undefined {
  const status = grpcStatusOf(err);
  return status === undefined ? undefined : /ECONNREFUSED (\S+?)\.?(?:\s|$)/.exec(status.details)?.[1];
}

/**
 * A short description for answers and messages: the gRPC status and etcd's words, without grpc-js's
 * annotations (addresses, timings of its internal stages), which stay in the logged cause.
 */
export function describeEtcdError(err: unknown): string {
  if (isBrokenCircuitError(err)) return 'every member failed just before';
  const status = grpcStatusOf(err);
  if (status === undefined) return err instanceof Error ? err.message : String(err);
  const details = status.details.split(/\. Last error:|,| \(/)[0]!.trim();
  return details === '' ? status.name : `${status.name}: ${details}`;
}

/** What went wrong on a TLS handshake: the other side's alert or node's verification error. */
const HANDSHAKE_REFUSED = /(?:sslv3|tlsv1\d*) alert (?:bad certificate|certificate required|unknown ca|certificate unknown|certificate expired|certificate revoked|handshake failure|access denied)/i;
const SERVER_UNTRUSTED = /unable to verify the first certificate|unable to get local issuer certificate|self[- ]signed certificate(?: in certificate chain)?|certificate has expired|Hostname\/IP does not match certificate's altnames[^.]*/i;
/**
 * etcd's own words when auth is enabled (etcd's rpctypes: ErrAuthFailed, ErrUserEmpty,
 * ErrPermissionDenied, ErrAuthNotEnabled). An expired token is not among them: etcd3 signs in again.
 */
const USER_REFUSED = /authentication failed, invalid user ID or password|user name is empty|permission denied|authentication is not enabled/i;

/**
 * When `err` (or its cause) shows that etcd refused our credentials or that etcd's certificate could
 * not be verified: what happened and which flags to check. Undefined for anything else.
 */
export function credentialsProblem(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e.message;
    let m = HANDSHAKE_REFUSED.exec(text);
    if (m !== null) return `etcd refused the TLS handshake (${m[0]}): it requires a client certificate signed by a CA it trusts (--etcd-cert, --etcd-key)`;
    m = SERVER_UNTRUSTED.exec(text);
    if (m !== null) return `etcd's certificate is not trusted (${m[0]}): pass the CA that signed it with --etcd-ca`;
    m = USER_REFUSED.exec(text);
    if (m !== null) return `etcd refused the request (${m[0]}): check --etcd-user, --etcd-password-file and the user's role`;
  }
  return undefined;
}

export function toStoreError(err: unknown, action: string): ControlPlaneError {
  if (err instanceof ControlPlaneError) return err;
  const refused = credentialsProblem(err);
  if (refused !== undefined) return new ControlPlaneError(ErrorCode.StoreRefused, `cannot ${action}: ${refused}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('request is too large') || message.includes('received message larger than max')) {
    // The commit names the limits and flags (etcd-commit.ts); this is the answer of any other call.
    return new ControlPlaneError(ErrorCode.PayloadTooLarge, `etcd refused to ${action}: the request is larger than its --max-request-bytes`, { cause: err });
  }
  if (err instanceof ClientClosedError) {
    return new ControlPlaneError(ErrorCode.StoreUnavailable, `cannot ${action}: the etcd store is closed`, { cause: err });
  }
  if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError) {
    return new ControlPlaneError(ErrorCode.Internal, `etcd refused to ${action}: ${describeEtcdError(err)}`, { cause: err });
  }
  return new ControlPlaneError(ErrorCode.StoreUnavailable, `etcd is unavailable (${action}): ${describeEtcdError(err)}`, { cause: err });
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
