// The live feed's reset in columns: the field names once, then each proxy as an array of its values
// in that order. A reset carries every proxy of the fleet (10,000: megabytes); repeating each field's
// name in every record was more than 40% of its bytes, which every newly opened page waits to
// receive and parse before it can show the Proxies page.
import type { ProxyStatus, SyncState } from '../discovery/proxy-status.js';

/** Every field of a proxy's record; a Record over ProxyStatus's keys, so a new field cannot be left out. */
const STATUS_FIELDS: Record<keyof ProxyStatus, true> = {
  nodeId: true, service: true, zone: true, namespace: true, version: true, address: true, adminAddress: true, replica: true,
  connectedSince: true, ackedRevision: true, lastAckAt: true, types: true, rejected: true, lastError: true,
};
const STATUS_KEYS = Object.keys(STATUS_FIELDS) as ReadonlyArray<keyof ProxyStatus>;

/** The reset's `columns`: GET /v1/proxies' item's fields, `state` last. */
export const PROXY_COLUMNS: readonly string[] = [...STATUS_KEYS, 'state'];
export const PROXY_COLUMNS_JSON = JSON.stringify(PROXY_COLUMNS);

/** One proxy as a row of the reset: its values in PROXY_COLUMNS' order, null for a field it lacks. */
export function proxyRowJson(p: ProxyStatus, state: SyncState): string {
  const values: unknown[] = STATUS_KEYS.map((k) => p[k] ?? null);
  values.push(state);
  return JSON.stringify(values);
}
