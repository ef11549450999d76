// Checks `Authorization: Bearer <token>` in constant time (no early exit on the first differing byte,
// no length leak: both sides are hashed to the same length first).
import { createHash, timingSafeEqual } from 'node:crypto';
import { ControlPlaneError, ErrorCode } from '../errors.js';

export class BearerAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    if (token === '') throw new Error('the admin API token must not be empty');
    this.expected = digest(token);
  }

  /** Throws SLUICE_UNAUTHENTICATED unless `header` is `Bearer <the token>`. */
  check(header: string | undefined): void {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    const given = digest(match?.[1] ?? '');
    // Compare even when the header is missing or malformed, so every refusal takes the same time.
    const ok = timingSafeEqual(given, this.expected) && match !== null;
    if (!ok) {
      throw new ControlPlaneError(ErrorCode.Unauthenticated, header === undefined
        ? 'missing Authorization: Bearer <token> header'
        : 'the bearer token is not valid');
    }
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
