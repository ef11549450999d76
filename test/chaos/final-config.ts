// Whether every proxy runs the last write: each proxy's /config_dump (resources, the revision in
// service, each resource's version) against what the control plane must send, computed here from the
// API's listing and GET /v1/health the way the snapshot builder does it (the stored resources, with
// the Endpoints of clusters that have health verdicts or registrations rebuilt by effectiveEndpoints),
// and each version as the content hash the control plane puts on the wire (encodeResource).
import { Health, type Endpoints } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import type { Cluster } from '../../proto/gen/sluice/v1/cluster_pb.js';
import { KIND_INFO, KINDS, type Kind, type Resource } from '../../proto/src/model/kinds.js';
import { REDACTED, specFromJson, specToJson } from '../../proto/src/model/resource-json.js';
import { effectiveEndpoints, type EndpointOverlay, type RegisteredEndpoint } from '../../control-plane/src/snapshot/effective-endpoints.js';
import { encodeResource } from '../../proto/src/wire/encoded-resource.js';
import { formatHostPort } from '../../proto/src/model/host-port.js';

interface HealthJson {
  endpoints: Array<{ cluster: string; address: string; port: number; health: string }>;
  registrations: Array<{ service: string; nodeId: string; address: string; port: number; zone: string; health: string }>;
}

export interface ApiView {
  /** The lowest revision of the five listings. */
  readonly revision: number;
  readonly resources: ReadonlyMap<string, Resource>;
  readonly health: HealthJson;
}

export interface Expected {
  /** Canonical JSON as /config_dump shows it (private keys redacted). */
  readonly json: string;
  readonly version: string;
}

export interface ProxyConfig {
  readonly revision: number | undefined;
  readonly versions: Record<string, Record<string, string>>;
  readonly resources: ReadonlyMap<string, string>;
}

/** JSON with keys sorted at every level, so equal content is equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}

export async function apiView(api: string, token: string): Promise<ApiView> {
  const resources = new Map<string, Resource>();
  let revision = Number.MAX_SAFE_INTEGER;
  for (const kind of KINDS) {
    const list = await getJson<{ revision: number; resources: Array<Record<string, unknown>> }>(`${api}/v1/${KIND_INFO[kind].plural}`, token);
    revision = Math.min(revision, list.revision);
    for (const { kind: _kind, revision: _revision, ...spec } of list.resources) {
      const r = specFromJson(kind, spec);
      resources.set(`${kind}/${r.spec.name}`, r);
    }
  }
  return { revision, resources, health: await getJson<HealthJson>(`${api}/v1/health`, token) };
}

function overlayOf(health: HealthJson): EndpointOverlay {
  const clusters = new Set([...health.endpoints.map((e) => e.cluster), ...health.registrations.map((r) => r.service)]);
  const healthOf = (name: string): Health | undefined => (name === 'UNKNOWN' ? undefined : Health[name as keyof typeof Health]);
  return {
    clusters: () => clusters,
    effectiveHealth: (cluster) => {
      const out = new Map<string, Health>();
      for (const e of health.endpoints) {
        const h = e.cluster === cluster ? healthOf(e.health) : undefined;
        if (h !== undefined) out.set(formatHostPort(e.address, e.port), h);
      }
      return out;
    },
    registered: (cluster) =>
      health.registrations
        .filter((r) => r.service === cluster)
        .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
        .map((r): RegisteredEndpoint => ({ address: r.address, port: r.port, zone: r.zone, health: Health[r.health as keyof typeof Health] ?? Health.UNKNOWN })),
    onChange: () => () => undefined,
  };
}

/**
 * What every proxy must run, by `Kind/name`. `privateKeys`: the certificates' keys by name, which
 * the API never shows but which are part of what the version hashes.
 */
export function expectedConfig(view: ApiView, privateKeys: ReadonlyMap<string, string>): Map<string, Expected> {
  const overlay = overlayOf(view.health);
  const resources = new Map(view.resources);
  for (const name of overlay.clusters()) {
    const stored = view.resources.get(`Endpoints/${name}`)?.spec as Endpoints | undefined;
    const cluster = view.resources.get(`Cluster/${name}`)?.spec as Cluster | undefined;
    const spec = effectiveEndpoints(name, stored, cluster, overlay);
    if (spec === undefined) resources.delete(`Endpoints/${name}`);
    else resources.set(`Endpoints/${name}`, { kind: 'Endpoints', spec });
  }
  const out = new Map<string, Expected>();
  for (const [key, r] of resources) {
    const body = specToJson(r);
    let hashed = r;
    if (r.kind === 'Certificate') {
      const key = privateKeys.get(r.spec.name);
      if (key !== undefined) hashed = { kind: 'Certificate', spec: { ...r.spec, privateKey: key } };
      body['privateKey'] = REDACTED;
    }
    out.set(key, { json: canonical({ kind: r.kind, ...body }), version: encodeResource(hashed).version });
  }
  return out;
}

export async function proxyConfig(admin: string): Promise<ProxyConfig> {
  const dump = await getJson<{ revision?: number; versions?: Record<string, Record<string, string>>; resources: Array<{ kind: Kind; name: string }> }>(`${admin}/config_dump`);
  return { revision: dump.revision, versions: dump.versions ?? {}, resources: new Map(dump.resources.map((r) => [`${r.kind}/${r.name}`, canonical(r)])) };
}

/** How the proxy's configuration differs from `expected`: empty when it runs exactly that. */
export function configDifferences(expected: ReadonlyMap<string, Expected>, got: ProxyConfig, lastRevision: number): string[] {
  const out: string[] = [];
  if (got.revision === undefined) out.push('/config_dump has no revision');
  else if (got.revision < lastRevision) out.push(`revision ${got.revision}, older than the last write's ${lastRevision}`);
  for (const [key, e] of expected) {
    const [kind, name] = key.split('/') as [string, string];
    const json = got.resources.get(key);
    if (json === undefined) out.push(`${key} missing`);
    else if (json !== e.json) out.push(`${key} differs: has ${json.slice(0, 300)}, the API ${e.json.slice(0, 300)}`);
    const version = got.versions[kind]?.[name];
    if (version !== e.version) out.push(`${key} version ${version ?? 'none'}, expected ${e.version}`);
  }
  for (const key of got.resources.keys()) if (!expected.has(key)) out.push(`${key} is not in the API's listing`);
  return out;
}
