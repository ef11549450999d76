// `sluice ctl rollout [--wait] [--timeout MS] [--revision R]`: how many proxies of the whole fleet
// (every control-plane replica's) run a revision (GET /v1/rollout); with --wait, waits until every one
// has ACKed it and fails as soon as one rejects it.
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { CtlError, type ApiClient } from './api-client.js';

export const ROLLOUT_USAGE = `  rollout [--wait] [--timeout MS] [--revision R]
                                 proxies at, behind and rejecting a revision (default: the latest
                                 the control plane has seen, i.e. your last apply); --wait waits
                                 until every proxy of every replica ACKed it (exit 1 when one NACKs
                                 it or on timeout, default 60000 ms)`;

/** Proxies named per list (rejecting, behind); ctl proxy-status lists them all. */
const LISTED = 20;

export interface RolloutFlags {
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly revision?: number;
  readonly pollMs?: number;
}

interface Rollout {
  revision: number;
  proxies: number;
  at: number;
  behind: number;
  rejecting: number;
  errors: Array<{ nodeId: string; address: string; replica?: string; revision: number; error: string }>;
  lagging?: Array<{ nodeId: string; address: string; replica?: string; ackedRevision: number }>;
  truncated?: boolean;
}

export async function runCtlRollout(client: ApiClient, flags: RolloutFlags): Promise<string> {
  // The counts are always whole; the proxies named (rejecting, behind) stop at LISTED.
  const query = (r: number | undefined): string => `/v1/rollout?limit=${LISTED}${r === undefined ? '' : `&revision=${r}`}`;
  let status = (await client.call('GET', query(flags.revision))) as Rollout;
  if (!flags.wait) return formatRollout(status);
  // Pin the revision: proxies must reach what was current when we started waiting.
  const revision = status.revision;
  const deadline = Date.now() + flags.timeoutMs;
  for (;;) {
    // A rejection of the awaited revision itself is final: fail at once. A rejection of an older
    // revision may be what this one fixes (the proxy has not ACKed the fix yet): keep waiting.
    const rejectedNow = status.errors.filter((e) => e.revision >= revision);
    if (rejectedNow.length > 0) {
      throw new CtlError(`${rejectedNow.length} of ${status.proxies} proxies rejected revision ${revision}`, rejectedNow.map(toFieldError));
    }
    if (status.behind === 0 && status.rejecting === 0) return formatRollout(status);
    if (Date.now() >= deadline) {
      const still = status.rejecting > 0 ? `, ${status.rejecting} still rejecting an earlier revision` : '';
      const lagging = (status.lagging ?? []).map((l) => ({ path: where(l), message: `still at revision ${l.ackedRevision}` }));
      throw new CtlError(`timed out after ${flags.timeoutMs} ms: ${status.at} of ${status.proxies} proxies at revision ${revision}, ${status.behind} behind${still}`, [...status.errors.map(toFieldError), ...lagging]);
    }
    await new Promise((r) => setTimeout(r, flags.pollMs ?? 250));
    status = (await client.call('GET', query(revision))) as Rollout;
  }
}

export function formatRollout(s: Rollout): string {
  const lines = [`revision ${s.revision}: ${s.proxies} proxies connected, ${s.at} at, ${s.behind} behind, ${s.rejecting} rejecting`];
  for (const e of s.errors) lines.push(`  ${where(e)} rejected revision ${e.revision}: ${e.error.replace(/\n/g, '\n    ')}`);
  for (const l of s.lagging ?? []) lines.push(`  ${where(l)} is at revision ${l.ackedRevision}`);
  if (s.truncated === true) lines.push('  (more: see `sluice ctl proxy-status --state stale` or `--state nack`)');
  return lines.join('\n');
}

function where(p: { nodeId: string; address: string; replica?: string }): string {
  return `${p.nodeId} (${p.address}${p.replica === undefined ? '' : ` via ${p.replica}`})`;
}

function toFieldError(e: Rollout['errors'][number]): { path: string; message: string } {
  return { path: where(e), message: `revision ${e.revision}: ${e.error.replace(/\n/g, '; ')}` };
}

/** Reads --timeout and --revision as the CLI passes them (strings). */
export function rolloutFlags(values: { wait?: boolean; timeout?: string; revision?: string }): RolloutFlags {
  const int = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
    return Number(raw);
  };
  const revision = int('revision', values.revision);
  return { wait: values.wait === true, timeoutMs: int('timeout', values.timeout) ?? 60_000, ...(revision === undefined ? {} : { revision }) };
}
