// The query string of GET /v1/proxies and /v1/rollout: filters (service, zone, namespace, replica,
// node, state) and paging (limit, continue), checked with every error named by its parameter, so a
// fleet of 10,000 proxies never comes back in one body.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { proxySortKey, SYNC_STATES, syncStateOf, type ProxyStatus, type SyncState } from './proxy-status.js';

export const DEFAULT_PAGE_LIMIT = 500;
export const MAX_PAGE_LIMIT = 5000;

const LABELS = ['service', 'zone', 'namespace', 'replica', 'node'] as const;

export interface ProxyQuery {
  readonly labels: Partial<Record<(typeof LABELS)[number], string>>;
  readonly state?: SyncState;
  readonly limit: number;
  /** The sort key of the last proxy of the previous page. */
  readonly after?: string;
  readonly revision?: number;
}

export function parseProxyQuery(params: URLSearchParams): ProxyQuery {
  const errors: FieldError[] = [];
  const labels: Record<string, string> = {};
  for (const l of LABELS) {
    const v = params.get(l);
    if (v !== null && v !== '') labels[l] = v;
  }
  let state: SyncState | undefined;
  const rawState = params.get('state');
  if (rawState !== null && rawState !== '') {
    const upper = rawState.toUpperCase();
    if ((SYNC_STATES as readonly string[]).includes(upper)) state = upper as SyncState;
    else errors.push({ path: 'state', message: `must be one of ${SYNC_STATES.join(', ')}, got "${rawState}"` });
  }
  const limit = integer(params, 'limit', errors, 1, MAX_PAGE_LIMIT) ?? DEFAULT_PAGE_LIMIT;
  const revision = integer(params, 'revision', errors, 0, Number.MAX_SAFE_INTEGER);
  let after: string | undefined;
  const token = params.get('continue');
  if (token !== null && token !== '') {
    after = Buffer.from(token, 'base64url').toString();
    if (!after.includes('\u0000')) errors.push({ path: 'continue', message: 'is not a token this API returned' });
  }
  if (errors.length > 0) throw new ControlPlaneError(ErrorCode.BadRequest, errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  return { labels, ...(state === undefined ? {} : { state }), limit, ...(after === undefined ? {} : { after }), ...(revision === undefined ? {} : { revision }) };
}

/** The proxies the filters select (the state against `revision`). */
export function selectProxies(proxies: readonly ProxyStatus[], q: ProxyQuery, revision: number): ProxyStatus[] {
  const { service, zone, namespace, replica, node } = q.labels;
  return proxies.filter((p) =>
    (service === undefined || p.service === service) &&
    (zone === undefined || p.zone === zone) &&
    (namespace === undefined || p.namespace === namespace) &&
    (replica === undefined || p.replica === replica) &&
    (node === undefined || p.nodeId === node) &&
    (q.state === undefined || syncStateOf(p, revision) === q.state));
}

/** One page of `sorted` (in proxySortKey's order) after the query's cursor, and the token of the next page when there is one. */
export function page(sorted: readonly ProxyStatus[], q: ProxyQuery): { items: ProxyStatus[]; continue?: string } {
  const start = q.after === undefined ? 0 : sorted.findIndex((p) => proxySortKey(p) > q.after!);
  const from = start < 0 ? sorted.length : start;
  const items = sorted.slice(from, from + q.limit);
  const more = from + q.limit < sorted.length;
  return more ? { items, continue: Buffer.from(proxySortKey(items[items.length - 1]!)).toString('base64url') } : { items };
}

function integer(params: URLSearchParams, name: string, errors: FieldError[], min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    errors.push({ path: name, message: `must be an integer from ${min} to ${max}, got "${raw}"` });
    return undefined;
  }
  return n;
}
