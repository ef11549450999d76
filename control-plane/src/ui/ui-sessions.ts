// The dashboard's sign-in sessions, in memory: a random 32-byte id per session, mapped to the caller
// (name and role) of the token it was opened with. Bounded in number (the oldest session is dropped
// first) and in time (an absolute TTL from sign-in). Looked up by the SHA-256 of the id, as ApiTokens
// looks tokens up by their digest: the lookup's timing depends on the digest, never on how many
// leading characters of a guessed id are right.
import { hash, randomBytes } from 'node:crypto';
import type { ApiCaller } from '../api/api-tokens.js';

export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;
export const DEFAULT_MAX_SESSIONS = 10_000;

export interface UiSessionsOptions {
  /** How long a session lasts after sign-in (--ui-session-ttl-seconds). Default 12 hours. */
  readonly ttlSeconds?: number;
  /** Sessions kept at most; signing in beyond it ends the oldest. Default 10,000. */
  readonly maxSessions?: number;
  /** The clock, in ms (tests). */
  readonly now?: () => number;
}

interface Session {
  readonly caller: ApiCaller;
  readonly expiresAt: number;
}

export class UiSessions {
  /** By digest, in sign-in order: the first entry is the oldest, and the first to expire. */
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: UiSessionsOptions = {}) {
    this.ttlMs = (options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs > 0)) throw new Error('the dashboard session TTL must be above 0');
    if (!(this.maxSessions >= 1)) throw new Error('the dashboard must keep at least one session');
  }

  /** Opens a session for `caller`; returns its id (43 base64url characters), the cookie's value. */
  create(caller: ApiCaller): string {
    this.dropExpired();
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(digest(id), { caller, expiresAt: this.now() + this.ttlMs });
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  /** The caller of session `id`, or undefined when it is unknown, ended or expired. */
  lookup(id: string): ApiCaller | undefined {
    const key = digest(id);
    const s = this.sessions.get(key);
    if (s === undefined) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return s.caller;
  }

  /** Ends session `id` (sign-out); nothing happens when it does not exist. */
  delete(id: string): void {
    this.sessions.delete(digest(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Drops expired sessions from the oldest on: all sessions share one TTL, so they expire in order. */
  private dropExpired(): void {
    const now = this.now();
    for (const [key, s] of this.sessions) {
      if (s.expiresAt > now) break;
      this.sessions.delete(key);
    }
  }
}

function digest(id: string): string {
  return hash('sha256', id, 'base64');
}
