// `sluice ctl proxy-status [--service S] [--zone Z] [--state synced|stale|nack] [-o table|wide|json]`:
// every proxy of every control-plane replica (GET /v1/proxies, page after page), as istioctl
// proxy-status shows Envoy's: which replica serves it, the revision it runs, SYNCED / STALE / NACK
// against the latest revision, how long ago it last ACKed, and the error of a NACK.
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { KINDS } from '../../../../proto/src/model/kinds.js';
import { SYNC_STATES } from '../../discovery/proxy-status.js';
import type { ApiClient } from './api-client.js';
import { formatTable } from './text-table.js';

export const PROXY_STATUS_USAGE = `  proxy-status [--service S] [--zone Z] [--state synced|stale|nack] [-o table|wide|json]
                                 every proxy of every replica: node, service, zone, replica, state
                                 against the latest revision, the revision it runs, its last ACK
                                 and the error of a NACK (-o wide: the revision ACKed per type)`;

/** Proxies asked for per request: 10,000 proxies are 20 requests, never one huge body. */
const PAGE = 500;
/** A NACK's error, cut to this many characters in the table (-o json has it whole). */
const ERROR_WIDTH = 100;

export interface ProxyStatusFlags {
  readonly service?: string;
  readonly zone?: string;
  readonly state?: string;
  readonly output?: string;
}

interface ProxyRow {
  nodeId: string;
  service: string;
  zone: string;
  replica: string;
  state: string;
  ackedRevision: number;
  lastAckAt?: string;
  types: Record<string, number>;
  rejected: Array<{ kind: string; name: string; revision: number; error: string }>;
}

interface ProxiesPage {
  revision: number;
  total: number;
  proxies: ProxyRow[];
  continue?: string;
}

export async function runCtlProxyStatus(client: ApiClient, args: readonly string[], flags: ProxyStatusFlags, now = Date.now()): Promise<string> {
  if (args.length > 0) throw new UsageError('usage: sluice ctl proxy-status [--service S] [--zone Z] [--state synced|stale|nack] [-o table|wide|json]');
  const format = flags.output ?? 'table';
  if (format !== 'table' && format !== 'wide' && format !== 'json') throw new UsageError(`-o of \`ctl proxy-status\` must be table, wide or json, got ${JSON.stringify(format)}`);
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (flags.service !== undefined) query.set('service', flags.service);
  if (flags.zone !== undefined) query.set('zone', flags.zone);
  if (flags.state !== undefined) query.set('state', flags.state);
  const first = (await client.call('GET', `/v1/proxies?${query}`)) as ProxiesPage;
  const proxies = [...first.proxies];
  // Every page is counted against the first page's revision, so the states of one listing agree.
  query.set('revision', String(first.revision));
  for (let token = first.continue; token !== undefined;) {
    query.set('continue', token);
    const next = (await client.call('GET', `/v1/proxies?${query}`)) as ProxiesPage;
    proxies.push(...next.proxies);
    token = next.continue;
  }
  if (format === 'json') return JSON.stringify({ revision: first.revision, proxies }, null, 2);
  const wide = format === 'wide';
  const header = ['NODE', 'SERVICE', 'ZONE', 'REPLICA', 'STATE', 'REVISION', 'LAST ACK', ...(wide ? KINDS.map((k) => k.toUpperCase()) : []), 'ERROR'];
  const rows = proxies.map((p) => [
    p.nodeId, p.service || '-', p.zone || '-', p.replica, p.state, String(p.ackedRevision), age(p.lastAckAt, now),
    ...(wide ? KINDS.map((k) => (p.types[k] === undefined ? '-' : String(p.types[k]))) : []),
    firstError(p),
  ]);
  const counts = SYNC_STATES.map((s) => `${proxies.filter((p) => p.state === s).length} ${s.toLowerCase()}`).join(', ');
  return `${formatTable([header, ...rows])}\n${proxies.length} proxies at revision ${first.revision}: ${counts}`;
}

function firstError(p: ProxyRow): string {
  const r = p.rejected[0];
  if (r === undefined) return '';
  const text = `${r.kind}/${r.name} (revision ${r.revision}): ${r.error.replace(/\s+/g, ' ')}`;
  return text.length > ERROR_WIDTH ? `${text.slice(0, ERROR_WIDTH - 1)}…` : text;
}

function age(at: string | undefined, now: number): string {
  if (at === undefined) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}
