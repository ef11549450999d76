// Whom each key in etcd belongs to, and the keys that belong to nobody: after the chaos run every key
// must be a live resource (or the generation key every configuration write bumps), or an entry a
// live replica keeps under a live lease (health verdicts, sidecar registrations, its proxies' status),
// or a record of the change history or of an apply set, or the mesh certificate authority's, or the health
// checker's election key held by a live replica. A replica's keys name it: its id is
// `<hostname>-<pid>-<random>` (control-plane/src/health/health-module.ts), so entries of a killed
// replica are told apart from its restarted successor's.
import { APPLYSET_PREFIX, FLEET_STATUS_PREFIX, GENERATION_KEY, parseResourceKey } from '../../control-plane/src/store/keys.js';
import { IDENTITY_PREFIX } from '../../control-plane/src/store/key-value-store.js';
import { HISTORY_PREFIX } from '../../control-plane/src/history/history-entry.js';
import { parseFleetKey } from '../../control-plane/src/discovery/fleet-status-keys.js';
import { HEALTH_PREFIX, REGISTRATION_PREFIX } from '../../control-plane/src/health/health-entry.js';
import { HEALTH_CHECKER_ELECTION_KEY } from '../../control-plane/src/store/leader-election.js';
import type { StoredKey } from './store-keys.js';
import { replicaPid } from '../support/replica-pid.js';

export interface KeyOwners {
  /** Per kind of owner ("resources", "health entries of <replica>", ...), how many keys. */
  readonly counts: Map<string, number>;
  /** Keys nobody owns, with why. */
  readonly orphans: string[];
}

export interface LiveState {
  /** `Kind/name` of every resource the API lists at the final revision. */
  readonly resources: ReadonlySet<string>;
  /** Pids of the replicas running now, and their names (for the counts). */
  readonly replicas: ReadonlyMap<number, string>;
  /** Remaining seconds of each lease that is alive (hex id as etcdctl writes it). */
  readonly leases: ReadonlyMap<string, number>;
}

function writerOf(value: string): string | undefined {
  try {
    const replica = (JSON.parse(value) as { replica?: unknown }).replica;
    return typeof replica === 'string' ? replica : undefined;
  } catch {
    return undefined;
  }
}

export function keyOwners(keys: readonly StoredKey[], live: LiveState): KeyOwners {
  const counts = new Map<string, number>();
  const orphans: string[] = [];
  const own = (owner: string): void => void counts.set(owner, (counts.get(owner) ?? 0) + 1);
  /** A leased entry: its writer must be a live replica and its lease alive. */
  const leased = (k: StoredKey, what: string, writer: string | undefined): void => {
    const pid = writer === undefined ? undefined : replicaPid(writer);
    const name = pid === undefined ? undefined : live.replicas.get(pid);
    if (name === undefined) return void orphans.push(`${k.key}: ${what} written by ${writer ?? 'an unknown writer'}, which is not a live replica`);
    if (k.lease === undefined) return void orphans.push(`${k.key}: ${what} of ${name} without a lease (it would never expire)`);
    if (!live.leases.has(k.lease)) return void orphans.push(`${k.key}: ${what} of ${name} under lease ${k.lease}, which has expired`);
    own(`${what} (${name})`);
  };
  for (const k of keys) {
    if (k.key === GENERATION_KEY) {
      own('generation key');
      continue;
    }
    const resource = parseResourceKey(k.key);
    if (resource !== undefined) {
      if (live.resources.has(`${resource.kind}/${resource.name}`)) own('resources');
      else orphans.push(`${k.key}: ${resource.kind}/${resource.name} is not in the API's listing`);
      continue;
    }
    if (k.key.startsWith(HISTORY_PREFIX)) own('change history');
    else if (k.key.startsWith(APPLYSET_PREFIX)) own('apply sets');
    // The mesh certificate authority (its root, sealed when an encryption key is set): kept for good.
    else if (k.key.startsWith(IDENTITY_PREFIX)) own('mesh identity');
    else if (k.key.startsWith(FLEET_STATUS_PREFIX)) leased(k, 'proxy status', parseFleetKey(k.key)?.replica);
    else if (k.key.startsWith(HEALTH_PREFIX)) leased(k, 'health entries', writerOf(k.value));
    else if (k.key.startsWith(REGISTRATION_PREFIX)) leased(k, 'registrations', writerOf(k.value));
    else if (k.key === HEALTH_CHECKER_ELECTION_KEY) leased(k, 'election key', k.value);
    else orphans.push(`${k.key}: not a key Sluice writes`);
  }
  return { counts, orphans };
}
