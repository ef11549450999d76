// The fleet status as it is stored: the key layout and the two record shapes a replica writes
// (fleet-status-publisher.ts) and every replica reads (fleet-view.ts).
//   cards:     /sluice/fleet/proxies/<replica>/<shard>  JSON array of ProxyCard
//   sync line: /sluice/fleet/sync/<replica>             SyncLine
import { FLEET_STATUS_PREFIX } from '../store/keys.js';
import type { ProxyStatus } from './proxy-status.js';

const CARDS = `${FLEET_STATUS_PREFIX}proxies/`;
const SYNC = `${FLEET_STATUS_PREFIX}sync/`;

/** A published card: a ProxyStatus without its ACKed revision, which the sync line carries. */
export type ProxyCard = Omit<ProxyStatus, 'ackedRevision'> & { readonly stream: string };

/** The sync line: every proxy of the replica runs `revision` except those in `behind` (stream → revision). */
export interface SyncLine {
  readonly revision: number;
  readonly behind: Readonly<Record<string, number>>;
}

export type FleetKey = { readonly kind: 'cards'; readonly replica: string; readonly shard: number } | { readonly kind: 'sync'; readonly replica: string };

export function fleetCardsKey(replica: string, shard: number): string {
  return `${CARDS}${replica}/${shard}`;
}

export function fleetSyncKey(replica: string): string {
  return `${SYNC}${replica}`;
}

/** The key's kind and writer; undefined for a key outside the layout. */
export function parseFleetKey(key: string): FleetKey | undefined {
  if (key.startsWith(SYNC)) {
    const replica = key.slice(SYNC.length);
    return replica === '' || replica.includes('/') ? undefined : { kind: 'sync', replica };
  }
  if (!key.startsWith(CARDS)) return undefined;
  const rest = key.slice(CARDS.length);
  const slash = rest.lastIndexOf('/');
  const shard = Number(rest.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(shard) || rest.slice(slash + 1) === '') return undefined;
  return { kind: 'cards', replica: rest.slice(0, slash), shard };
}
