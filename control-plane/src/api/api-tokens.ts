// The admin API's tokens, each with a name (who, in logs and the audit trail) and a role. Looking a
// token up compares it with every known token in constant time: no early exit on the first differing
// byte or the first match, no length leak (both sides are hashed to the same length first).
import { hash as cryptoHash, timingSafeEqual } from 'node:crypto';
import type { ApiRole } from './api-role.js';

export interface ApiTokenEntry {
  readonly token: string;
  /** Who holds it: logged as the actor of each change. Never the token itself. */
  readonly name: string;
  readonly role: ApiRole;
}

/** Who a valid admin API token belongs to. */
export interface ApiCaller {
  readonly name: string;
  readonly role: ApiRole;
}

/** The name the single token of `--token-file` / SLUICE_TOKEN is known by. */
export const STATIC_ADMIN_NAME = 'admin';

export class ApiTokens {
  private readonly entries: ReadonlyArray<{ readonly digest: Buffer; readonly caller: ApiCaller }>;

  /** Throws on an empty token, an empty name, or a token listed twice. */
  constructor(entries: readonly ApiTokenEntry[]) {
    const seen = new Set<string>();
    this.entries = entries.map((e, i) => {
      if (e.token === '') throw new Error(`admin API token ${i + 1} (${e.name}) is empty`);
      if (e.name.trim() === '') throw new Error(`admin API token ${i + 1} has an empty name`);
      const digest = hash(e.token);
      const key = digest.toString('hex');
      if (seen.has(key)) throw new Error(`admin API token ${i + 1} (${e.name}) is listed twice`);
      seen.add(key);
      return { digest, caller: Object.freeze({ name: e.name, role: e.role }) };
    });
  }

  /** One admin token, known as `admin`: `--token-file` / SLUICE_TOKEN. */
  static single(token: string): ApiTokens {
    return new ApiTokens([{ token, name: STATIC_ADMIN_NAME, role: 'admin' }]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The caller `token` belongs to, or undefined. Takes the same time whatever the token. */
  lookup(token: string): ApiCaller | undefined {
    const given = hash(token);
    let found: ApiCaller | undefined;
    for (const e of this.entries) {
      // Every entry is compared, even after a match, so the time does not say which entry matched.
      if (timingSafeEqual(given, e.digest) && found === undefined) found = e.caller;
    }
    return token === '' ? undefined : found;
  }

  /** Names and roles, never the tokens. */
  callers(): ApiCaller[] {
    return this.entries.map((e) => e.caller);
  }
}

/** One-shot: a Hash object per lookup costs more than the digest (every proxy stream looks a token up). */
function hash(value: string): Buffer {
  return cryptoHash('sha256', value, 'buffer');
}
