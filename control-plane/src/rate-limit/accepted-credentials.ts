// Credentials recently accepted on the rate-limit service: a proxy borrows many times a second, and a
// bootstrap token is checked against the store. An accepted token is taken again for ACCEPTED_FOR_MS
// without asking the store (a revoked token may borrow for that long: it obtains tokens, not
// configuration or certificates); refusals are never remembered. Bounded, oldest first out.
import { performance } from 'node:perf_hooks';
import { status } from '@grpc/grpc-js';
import type { ApiTokens } from '../api/api-tokens.js';
import { bearerToken } from '../api/bearer-auth.js';
import type { WorkloadAuthenticator } from '../identity/workload-authenticator.js';
import { authenticateStream, type StreamRefusal } from '../discovery/stream-credential.js';

const ACCEPTED_FOR_MS = 10_000;
const MAX_REMEMBERED = 4096;

export class AcceptedCredentials {
  private readonly acceptedUntil = new Map<string, number>();

  constructor(private readonly tokens: ApiTokens, private readonly authenticator: WorkloadAuthenticator | undefined) {}

  /** Undefined when the `authorization` header is accepted (as the discovery stream's would be), else why not. */
  async refusal(header: string | undefined, nowMs = performance.now()): Promise<StreamRefusal | undefined> {
    const token = bearerToken(header);
    if (token !== undefined && (this.acceptedUntil.get(token) ?? 0) > nowMs) return undefined;
    const credential = await authenticateStream(header, this.tokens, this.authenticator);
    if (credential.kind === 'refused') return credential;
    if (token === undefined) return { kind: 'refused', code: status.UNAUTHENTICATED, details: 'no bearer token' };
    this.acceptedUntil.delete(token);
    if (this.acceptedUntil.size >= MAX_REMEMBERED) this.acceptedUntil.delete(this.acceptedUntil.keys().next().value!);
    this.acceptedUntil.set(token, nowMs + ACCEPTED_FOR_MS);
    return undefined;
  }
}
