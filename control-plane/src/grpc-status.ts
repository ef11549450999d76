// The gRPC status behind an error, for deciding what a failure means and for logging it.

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) the control plane tells apart. */
export const GrpcCode = {
  Cancelled: 1,
  Unknown: 2,
  DeadlineExceeded: 4,
  Internal: 13,
  Unavailable: 14,
} as const;

export interface GrpcStatus {
  readonly code: number;
  readonly name: string;
  readonly details: string;
}

/**
 * The gRPC status behind an error: grpc-js builds its message as `14 UNAVAILABLE: details` and also
 * carries `code` and `details`; etcd3 re-creates errors from the message alone, so the status is read
 * back from it.
 */
export function grpcStatusOf(err: unknown): GrpcStatus | undefined {
  if (!(err instanceof Error) || typeof err.message !== 'string') return undefined;
  const m = /^(\d{1,2}) ([A-Z_]+): ?([\s\S]*)$/.exec(err.message);
  if (m !== null) return { code: Number(m[1]), name: m[2]!, details: m[3]! };
  const { code, details } = err as { code?: unknown; details?: unknown };
  if (typeof code === 'number' && typeof details === 'string') return { code, name: String(code), details };
  return undefined;
}
