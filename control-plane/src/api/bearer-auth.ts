// Checks `Authorization: Bearer <token>` against the admin API's tokens in constant time (ApiTokens)
// and says who the caller is.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { ApiTokens, type ApiCaller } from './api-tokens.js';

export class BearerAuth {
  readonly tokens: ApiTokens;

  /** One admin token (`--token-file`), or a set of named tokens with roles (`--tokens-file`). */
  constructor(tokens: string | ApiTokens) {
    if (tokens === '') throw new Error('the admin API token must not be empty');
    this.tokens = typeof tokens === 'string' ? ApiTokens.single(tokens) : tokens;
    if (this.tokens.size === 0) throw new Error('the admin API needs at least one token');
  }

  /** The caller of `header`; throws SLUICE_UNAUTHENTICATED unless it is `Bearer <a known token>`. */
  check(header: string | undefined): ApiCaller {
    const token = bearerToken(header);
    // Look up even when the header is missing or malformed, so every refusal takes the same time.
    const caller = this.tokens.lookup(token ?? '');
    if (caller === undefined || token === undefined) {
      throw new ControlPlaneError(ErrorCode.Unauthenticated, header === undefined
        ? 'missing Authorization: Bearer <token> header'
        : 'the bearer token is not valid');
    }
    return caller;
  }
}

/** The token of `Bearer <token>` (scheme case-insensitive, RFC 6750 section 2.1), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
