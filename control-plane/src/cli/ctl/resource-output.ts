// How `sluice ctl get` prints resources: a table (default), JSON or YAML (both re-appliable).
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

type ApiResource = Record<string, any> & { kind: string; name: string; revision: number };

export function formatResources(resources: readonly ApiResource[], format: OutputFormat, listBody?: unknown): string {
  switch (format) {
    case 'json':
      return JSON.stringify(listBody ?? resources[0], null, 2);
    case 'yaml':
      return resources.map((r) => stringify(r, { lineWidth: 0 }).trimEnd()).join('\n---\n');
    case 'table':
      return table(resources);
  }
}

function table(resources: readonly ApiResource[]): string {
  if (resources.length === 0) return 'No resources.';
  const rows = [['KIND', 'NAME', 'REVISION', 'SUMMARY'], ...resources.map((r) => [r.kind, r.name, String(r.revision), summary(r)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n');
}

/** One line on what a resource does, per kind. */
function summary(r: ApiResource): string {
  switch (r.kind) {
    case 'Route': {
      const match = r.match ?? {};
      const path = match.pathExact ?? match.pathPrefix ?? (match.pathRegex === undefined ? '' : `~${match.pathRegex}`);
      const action = r.forward !== undefined
        ? `-> ${r.forward.cluster ?? (r.forward.weighted ?? []).map((w: { cluster: string; weight?: number }) => `${w.cluster}:${w.weight ?? 0}`).join(',')}`
        : r.redirect !== undefined ? 'redirect' : r.respond !== undefined ? `respond ${r.respond.status ?? ''}`.trim() : '';
      return `${(r.hosts ?? ['*']).join(',')}${path} ${action}`.trim();
    }
    case 'Cluster':
      return `${r.protocol ?? 'HTTP1'} ${(r.endpoints ?? []).map((e: { address: string; port: number }) => `${e.address}:${e.port}`).join(',')}`.trim();
    case 'Endpoints':
      return `${(r.endpoints ?? []).length} endpoints`;
    case 'Listener':
      return `${r.address ?? ''}:${r.port ?? 0} ${r.protocol ?? 'HTTP'}`;
    case 'Certificate':
      return r.notAfter ? `until ${r.notAfter}` : 'CA bundle';
    case 'PeerAuthentication':
      return `${r.mode ?? 'UNSET'} ${selectorSummary(r.selector)}`;
    case 'AuthorizationPolicy':
      return `${r.action ?? 'ALLOW'}${r.dryRun === true ? ' (dry run)' : ''} ${(r.rules ?? []).length} rules ${selectorSummary(r.selector)}`;
    case 'Sidecar':
      return `calls ${(r.egress?.hosts ?? []).join(',') || 'nothing'} ${selectorSummary(r.selector)}`;
    case 'Telemetry':
      return `sampling ${r.tracing?.samplingPercentage === undefined ? 'inherited' : `${r.tracing.samplingPercentage}%`} ${selectorSummary(r.selector)}`;
    default:
      return '';
  }
}

/** Which proxies a policy applies to: `service=web`, `namespace=shop`, or `mesh-wide`. */
function selectorSummary(selector: { service?: string; namespace?: string } | undefined): string {
  const parts = [selector?.namespace ? `namespace=${selector.namespace}` : '', selector?.service ? `service=${selector.service}` : ''].filter(Boolean);
  return parts.length === 0 ? 'mesh-wide' : parts.join(',');
}
