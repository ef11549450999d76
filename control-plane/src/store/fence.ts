// Proof of leadership carried by a write: the write commits only while the leader's election key
// still exists with the create revision the leader saw when it won. A deposed leader (its lease
// expired, another replica won) therefore cannot write, however late its request arrives.

export interface Fence {
  /** The election key, e.g. `/sluice/leader/health-checker`. */
  readonly key: string;
  /** The key's create_revision when this replica won: any later winner re-creates it. */
  readonly createRevision: number;
}
