// How the control plane logs an error (pino's `err` key): message, code, gRPC status and the cause
// chain, as plain JSON data that can never throw or loop.
//
// Why not pino's own serializer: it copies every enumerable property of an error as is. A grpc-js
// error carries a Metadata object (a Map inside); the logger's redaction clones objects along its
// wildcard paths with their prototype, and a cloned Map cannot be stringified, so pino printed
// "[unable to serialize, circular reference is too complex to analyze]" in place of the whole error.
import { grpcStatusOf } from './grpc-status.js';

export interface SerializedError {
  readonly type: string;
  readonly message: string;
  /** Our stable code (SLUICE_*), a Node error code (ECONNREFUSED) or another library's code. */
  readonly code?: string | number;
  /** The gRPC status behind it, when there is one (etcd's errors arrive as gRPC statuses). */
  readonly grpc?: { readonly code: number; readonly status: string; readonly details: string };
  /** A ControlPlaneError's field errors. */
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  readonly stack?: string;
  readonly cause?: SerializedError;
  /** An AggregateError's errors. */
  readonly aggregated?: readonly SerializedError[];
}

/** Causes followed at most; a longer chain (or a loop) ends with a note. */
const MAX_DEPTH = 6;
const MAX_LIST = 10;
const MAX_TEXT = 4000;

export function serializeError(err: unknown): SerializedError {
  try {
    return describe(err, 0, new Set());
  } catch {
    return { type: 'unknown', message: '[the error could not be described]' };
  }
}

function describe(err: unknown, depth: number, seen: Set<unknown>): SerializedError {
  if (!(err instanceof Error) && (typeof err !== 'object' || err === null)) return { type: typeof err, message: text(String(err)) };
  if (seen.has(err)) return { type: 'circular', message: '[the same error again, further up the chain]' };
  seen.add(err);
  const e = err as Error & { code?: unknown; errors?: unknown; cause?: unknown };
  const out: {
    type: string; message: string; code?: string | number; grpc?: SerializedError['grpc'];
    errors?: SerializedError['errors']; stack?: string; cause?: SerializedError; aggregated?: SerializedError[];
  } = { type: typeName(e), message: text(typeof e.message === 'string' ? e.message : String(e.message ?? '')) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const status = grpcStatusOf(e);
  if (status !== undefined) out.grpc = { code: status.code, status: status.name, details: text(status.details) };
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    if (e instanceof AggregateError) out.aggregated = e.errors.slice(0, MAX_LIST).map((x) => nested(x, depth, seen));
    else out.errors = e.errors.slice(0, MAX_LIST).map((f: { path?: unknown; message?: unknown }) => ({ path: text(String(f?.path ?? '')), message: text(String(f?.message ?? '')) }));
  }
  if (depth === 0 && typeof e.stack === 'string') out.stack = text(e.stack);
  if (e.cause !== undefined) out.cause = nested(e.cause, depth, seen);
  return out;
}

function nested(err: unknown, depth: number, seen: Set<unknown>): SerializedError {
  return depth + 1 >= MAX_DEPTH ? { type: 'truncated', message: `[more causes after ${MAX_DEPTH}]` } : describe(err, depth + 1, seen);
}

function typeName(e: Error): string {
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : e.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

function text(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}
