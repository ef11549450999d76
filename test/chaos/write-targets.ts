// The replicas the chaos run's configuration changes go to, in turn (as a load balancer in front of
// the admin API would spread them). A replica about to be killed leaves the rotation first, and the
// change in flight to it is waited for, so no change is refused for being sent to a dead process.
import type { Replica } from '../e2e/scenario/mesh-processes.js';

export class WriteTargets {
  private readonly live: Replica[];
  private turn = 0;

  constructor(replicas: readonly Replica[]) {
    this.live = [...replicas];
  }

  /** The API URL the next change goes to. */
  readonly next = (): string => {
    const r = this.live[this.turn++ % this.live.length];
    if (r === undefined) throw new Error('no replica takes changes');
    return r.api;
  };

  remove(replica: Replica): void {
    const i = this.live.indexOf(replica);
    if (i >= 0) this.live.splice(i, 1);
  }

  add(replica: Replica): void {
    if (!this.live.includes(replica)) this.live.push(replica);
  }
}
