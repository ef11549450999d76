// The control plane's one error type: a stable code, an HTTP status, and the field errors behind it.
import type { FieldError } from '../../proto/src/model/field-error.js';

/** Stable codes; docs/reference.md's error table lists each one. Never rename a code. */
export const ErrorCode = {
  /** The request body is not a valid resource; `errors` lists every problem with its field path. */
  Validation: 'SLUICE_VALIDATION',
  /** The body is not JSON or YAML, or a document has no usable kind. */
  BadRequest: 'SLUICE_BAD_REQUEST',
  NotFound: 'SLUICE_NOT_FOUND',
  /** If-Match named a revision that is no longer current. */
  Conflict: 'SLUICE_CONFLICT',
  /** Another write changed the resources while this one was validated; retried, then reported. */
  ConcurrentWrite: 'SLUICE_CONCURRENT_WRITE',
  /** A delete would leave other resources pointing at nothing; `errors` names the referrers. */
  Referenced: 'SLUICE_REFERENCED',
  Unauthenticated: 'SLUICE_UNAUTHENTICATED',
  /** A valid token whose role does not allow the route; the message names the role needed. */
  Forbidden: 'SLUICE_FORBIDDEN',
  PayloadTooLarge: 'SLUICE_PAYLOAD_TOO_LARGE',
  /** The request line and headers are over node:http's limit (16 KiB): a very long resource name. */
  HeadersTooLarge: 'SLUICE_HEADERS_TOO_LARGE',
  MethodNotAllowed: 'SLUICE_METHOD_NOT_ALLOWED',
  /** etcd cannot be reached; reads still answer from the last watched state. */
  StoreUnavailable: 'SLUICE_STORE_UNAVAILABLE',
  /**
   * etcd refused this control plane: its client certificate or user, or the control plane could not
   * verify etcd's certificate. A replica starting with it exits; the message names the flags to check.
   */
  StoreRefused: 'SLUICE_STORE_REFUSED',
  /** A private key in the store that no configured encryption key opens (--encryption-key-file). */
  SecretUnreadable: 'SLUICE_SECRET_UNREADABLE',
  Internal: 'SLUICE_INTERNAL',
  /** A certificate signing request that is not valid PKCS #10, is wrongly signed or has a key the CA refuses. */
  BadCsr: 'SLUICE_BAD_CSR',
  /** A rollback to a revision older than the retained change history reaches; names the oldest it can restore. */
  HistoryExpired: 'SLUICE_HISTORY_EXPIRED',
  /**
   * A change signed in by the dashboard's session cookie without the dashboard's own Origin or with a
   * content type a cross-site form can send: refused, since a browser attaches the cookie by itself.
   */
  CrossSite: 'SLUICE_CROSS_SITE',
  /** The dashboard's files are not built (`npm run build`): /ui answers this instead of a page. */
  UiNotBuilt: 'SLUICE_UI_NOT_BUILT',
  /** The dashboard's live feed has as many open pages as it serves (--ui-feed-max-subscribers). */
  FeedFull: 'SLUICE_FEED_FULL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Record<ErrorCode, number> = {
  SLUICE_VALIDATION: 400,
  SLUICE_BAD_REQUEST: 400,
  SLUICE_NOT_FOUND: 404,
  SLUICE_CONFLICT: 409,
  SLUICE_CONCURRENT_WRITE: 409,
  SLUICE_REFERENCED: 409,
  SLUICE_UNAUTHENTICATED: 401,
  SLUICE_FORBIDDEN: 403,
  SLUICE_PAYLOAD_TOO_LARGE: 413,
  SLUICE_HEADERS_TOO_LARGE: 431,
  SLUICE_METHOD_NOT_ALLOWED: 405,
  SLUICE_STORE_UNAVAILABLE: 503,
  SLUICE_STORE_REFUSED: 503,
  SLUICE_SECRET_UNREADABLE: 500,
  SLUICE_INTERNAL: 500,
  SLUICE_BAD_CSR: 400,
  // 410 Gone, as Kubernetes answers a resourceVersion older than etcd's compacted history.
  SLUICE_HISTORY_EXPIRED: 410,
  SLUICE_CROSS_SITE: 403,
  SLUICE_UI_NOT_BUILT: 503,
  SLUICE_FEED_FULL: 503,
};

export class ControlPlaneError extends Error {
  readonly code: ErrorCode;
  readonly errors: readonly FieldError[];

  constructor(code: ErrorCode, message: string, options: { errors?: readonly FieldError[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ControlPlaneError';
    this.code = code;
    this.errors = options.errors ?? [];
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  /** The JSON body the API answers with. */
  toJSON(): { code: ErrorCode; message: string; errors: readonly FieldError[] } {
    return { code: this.code, message: this.message, errors: this.errors };
  }
}
