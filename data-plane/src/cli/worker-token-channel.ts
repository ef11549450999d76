// A worker's line to the primary's token buckets (token-lease-authority.ts): each ask is one IPC
// message, answered by id. An answer that does not come within ASK_TIMEOUT_MS counts as none, and the
// worker decides with its own share (leased-tokens.ts): a request never waits long on a busy primary.
import type { TokenSourceFactory } from '../filters/filter-registry.js';
import { LeasedTokens, type TokenLeaseRequest } from '../filters/leased-tokens.js';
import type { Grant } from '../filters/token-buckets.js';
import type { FromWorker } from './worker-messages.js';

export const ASK_TIMEOUT_MS = 1000;

export class WorkerTokenChannel {
  private nextId = 1;
  private readonly pending = new Map<number, (grant: Grant | undefined) => void>();

  constructor(private readonly send: (m: FromWorker) => void, private readonly workers: number) {}

  /** Token sources for this worker's filters: leases from the primary. */
  readonly sources: TokenSourceFactory = (instanceKey, ratePerSecond, burst, scope) =>
    new LeasedTokens(instanceKey, ratePerSecond, burst, this.workers, (request) => this.ask(request), scope);

  /** The primary's answer to an ask. */
  answered(id: number, grant: Grant): void {
    this.pending.get(id)?.(grant);
  }

  private ask(request: TokenLeaseRequest): Promise<Grant | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
      const done = (grant: Grant | undefined): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(grant);
      };
      this.pending.set(id, done);
      this.send({ sluice: 'tokens', id, request });
    });
  }
}
