// The primary's record of configuration updates for its workers: the last one every worker applied
// (what a new worker starts with), those still on their way, and what each worker was sent last, so
// that the next update carries only what changed for it (worker-delta.ts).
import type { Worker } from 'node:cluster';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { UserFilterModule } from './load-proxy-config.js';
import { deltaBetween } from './worker-delta.js';
import type { ToWorker } from './worker-messages.js';

/** One configuration update, as the pool keeps it until every worker answered. */
export interface WorkerUpdate {
  readonly id: number;
  readonly set: ResourceSet;
  readonly userFilters: readonly UserFilterModule[];
  readonly baseDir: string;
}

export class WorkerUpdates {
  /** The last configuration every worker applied. */
  current: WorkerUpdate | undefined;
  /** Updates still on their way to workers: a worker that says hello meanwhile gets them too. */
  readonly inFlight = new Map<number, WorkerUpdate>();
  /** The configuration each worker was sent last, applied or not: what its next update is a change of. */
  private readonly bases = new Map<Worker, ResourceSet>();

  begin(update: WorkerUpdate): void {
    this.inFlight.set(update.id, update);
  }

  /** Every worker answered `update`; with no error it is what new workers start with. */
  finish(update: WorkerUpdate, ok: boolean): void {
    this.inFlight.delete(update.id);
    if (ok) this.current = update;
  }

  /**
   * The 'apply' message of `update` for `worker`, with `id`: the change from what it was sent last, or
   * everything. Workers sent the same configuration last share one message through `byBase`.
   */
  messageFor(worker: Worker, update: WorkerUpdate, id: number, byBase?: Map<ResourceSet | undefined, ToWorker>): ToWorker {
    const base = this.bases.get(worker);
    let message = byBase?.get(base);
    if (message === undefined) {
      message = { sluice: 'apply', id, userFilters: update.userFilters, baseDir: update.baseDir, ...deltaBetween(base, update.set) };
      byBase?.set(base, message);
    }
    this.bases.set(worker, update.set);
    return message;
  }

  /** Whatever `worker` holds now (it refused an update, or is gone), its next update is everything. */
  forget(worker: Worker): void {
    this.bases.delete(worker);
  }
}
