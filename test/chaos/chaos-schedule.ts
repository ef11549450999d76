// When each event of the chaos run happens. After a warm-up, the events follow one another in slots
// of equal length: the disturbance (the first DOWN_SHARE of the slot: the killed process stays dead
// that long), then its recovery, then quiet time until the slot ends, so effects of one event settle
// before the next. Two upstreams are killed in turn: one of a cluster with static endpoints, one whose
// Endpoints resource the run's changes keep rewriting. Each etcd member is killed in turn when the
// run is long enough for every slot to stay at least MIN_SLOT_MS; otherwise only the first.
export type EventKind = 'upstream' | 'replica' | 'etcd-member' | 'compaction' | 'worker';

export interface PlannedEvent {
  readonly kind: EventKind;
  /** The etcd member, for `etcd-member`. */
  readonly member?: number;
  /** The upstream process and its cluster, for `upstream`. */
  readonly upstream?: { readonly name: string; readonly cluster: string };
  /** From the run's start. */
  readonly atMs: number;
  /** How long the killed process stays dead (0 for a compaction and for a worker, which its primary replaces). */
  readonly downMs: number;
  readonly slotMs: number;
}

export interface ChaosPlan {
  readonly warmUpMs: number;
  readonly events: readonly PlannedEvent[];
  /** Load and changes go on this long after the last slot, before the checks. */
  readonly settleMs: number;
  readonly durationMs: number;
}

export const MIN_SLOT_MS = 20_000;
const WARM_UP_MS = 10_000;
const SETTLE_MS = 5_000;
/** Share of a slot the killed process stays dead. */
const DOWN_SHARE = 0.35;
/** The shortest run: every event once, in slots of half MIN_SLOT_MS. */
export const MIN_DURATION_MS = WARM_UP_MS + SETTLE_MS + 6 * (MIN_SLOT_MS / 2);

export function planChaos(durationMs: number, etcdMembers = 3): ChaosPlan {
  const budget = durationMs - WARM_UP_MS - SETTLE_MS;
  const fixed = 5; // two upstreams, replica, compaction, worker
  let members = etcdMembers;
  while (members > 1 && budget / (fixed + members) < MIN_SLOT_MS) members--;
  const kinds: Array<Pick<PlannedEvent, 'kind' | 'member' | 'upstream'>> = [
    { kind: 'upstream', upstream: { name: 'web-a2', cluster: 'web-a' } },
    { kind: 'upstream', upstream: { name: 'pool-2', cluster: 'pool' } },
    { kind: 'replica' },
    ...Array.from({ length: members }, (_, member) => ({ kind: 'etcd-member' as const, member })),
    { kind: 'compaction' },
    { kind: 'worker' },
  ];
  const slotMs = Math.floor(budget / kinds.length);
  if (slotMs < MIN_SLOT_MS / 2) throw new RangeError(`a chaos run of ${durationMs / 1000} s leaves ${slotMs / 1000} s per event; give it at least ${MIN_DURATION_MS / 1000} s`);
  const events = kinds.map((k, i): PlannedEvent => ({
    ...k,
    atMs: WARM_UP_MS + i * slotMs,
    downMs: k.kind === 'compaction' || k.kind === 'worker' ? 0 : Math.round(slotMs * DOWN_SHARE),
    slotMs,
  }));
  return { warmUpMs: WARM_UP_MS, events, settleMs: SETTLE_MS, durationMs };
}
