// `sluice ctl proxy-config NODE [KIND] [-o yaml|json] [--proxy-admin URL]`: the configuration one
// proxy runs, read from that proxy's admin server (/config_dump?kind=), and how it differs from what
// the control plane intends for it (GET /v1/proxies/NODE/intended), as istioctl proxy-config reads
// Envoy's admin port. The proxy is found through GET /v1/proxies, which carries the admin address it
// advertises; --proxy-admin overrides it (a `kubectl port-forward` to the pod's admin port).
import { stringify } from 'yaml';
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { parseViewKind, type ConfigView } from '../../../../proto/src/model/config-view.js';
import { CtlError, type ApiClient } from './api-client.js';
import { diffConfigViews, formatDifferences, type ResourceDifference } from './config-diff.js';

export const PROXY_CONFIG_USAGE = `  proxy-config NODE [KIND] [-o yaml|json] [--proxy-admin URL]
                                 the configuration proxy NODE runs, read from its admin server,
                                 then its differences from what the control plane intends for it
                                 (KIND: listeners, routes, clusters, endpoints or certs; default
                                 all); --proxy-admin: the admin server's URL when the address the
                                 proxy advertises cannot be reached (kubectl port-forward)`;

/** How long the proxy's admin server may take to answer. */
const PROXY_TIMEOUT_MS = 10_000;

export interface ProxyConfigFlags {
  readonly output?: string;
  readonly proxyAdmin?: string;
}

/** A /v1/proxies record: the fields this command reads. */
interface ProxyRecord {
  nodeId: string;
  service?: string;
  namespace?: string;
  zone?: string;
  adminAddress?: string;
}

export async function runCtlProxyConfig(client: ApiClient, args: readonly string[], flags: ProxyConfigFlags): Promise<string> {
  const [node, kindArg, ...rest] = args;
  if (node === undefined || rest.length > 0) throw new UsageError('usage: sluice ctl proxy-config NODE [listeners|routes|clusters|endpoints|certs] [-o yaml|json] [--proxy-admin URL]');
  const format = flags.output ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new UsageError(`-o must be yaml or json, got ${JSON.stringify(format)}`);
  let kinds = 'all';
  if (kindArg !== undefined) {
    const kind = parseViewKind(kindArg);
    if (kind === undefined) throw new UsageError(`unknown kind "${kindArg}": proxy-config takes listeners, routes, clusters, endpoints or certs`);
    kinds = kind;
  }

  const record = await findProxy(client, node);
  const admin = adminUrl(node, record, flags.proxyAdmin);
  const labels = record === undefined ? '' : `&${new URLSearchParams({ service: record.service ?? '', namespace: record.namespace ?? '', zone: record.zone ?? '' })}`;
  const [effective, intended] = await Promise.all([
    fetchProxyView(node, admin, kinds),
    client.call('GET', `/v1/proxies/${encodeURIComponent(node)}/intended?kind=${encodeURIComponent(kinds)}${labels}`) as Promise<ConfigView>,
  ]);
  const differences = diffConfigViews(effective, intended);
  return format === 'json' ? asJson(node, admin, effective, intended, differences) : asYaml(effective, intended, differences);
}

/** The proxy's record in GET /v1/proxies (filtered by the API when it can, and here in any case). */
async function findProxy(client: ApiClient, node: string): Promise<ProxyRecord | undefined> {
  const body = (await client.call('GET', `/v1/proxies?node=${encodeURIComponent(node)}`)) as { proxies?: ProxyRecord[] } | undefined;
  return (body?.proxies ?? []).find((p) => p.nodeId === node);
}

function adminUrl(node: string, record: ProxyRecord | undefined, flag: string | undefined): string {
  if (flag !== undefined) {
    const url = flag.includes('://') ? flag : `http://${flag}`;
    if (!URL.canParse(url)) throw new UsageError(`--proxy-admin must be a URL (http://127.0.0.1:15000), got ${JSON.stringify(flag)}`);
    return url.replace(/\/+$/, '');
  }
  if (record === undefined) throw new CtlError(`proxy "${node}" is not connected to the control plane (GET /v1/proxies does not list it); to read a proxy directly, pass --proxy-admin URL`);
  if (!record.adminAddress) {
    throw new CtlError(`proxy "${node}" advertises no admin address (its --admin-listen is 0.0.0.0, :: or port 0, and no --admin-advertise): pass --proxy-admin URL, e.g. after kubectl port-forward POD 15000`);
  }
  return `http://${record.adminAddress}`;
}

async function fetchProxyView(node: string, admin: string, kinds: string): Promise<ConfigView> {
  const url = `${admin}/config_dump?kind=${encodeURIComponent(kinds)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(PROXY_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CtlError(`cannot reach proxy "${node}" at ${admin}: ${cause?.code ?? cause?.message ?? (err as Error).message} (pass --proxy-admin URL, e.g. after kubectl port-forward POD 15000)`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const view = body as Partial<ConfigView> | undefined;
  if (!res.ok || !Array.isArray(view?.resources) || view?.versions === undefined) {
    throw new CtlError(`proxy "${node}" at ${admin} did not answer its configuration: ${res.status} ${text.slice(0, 200)}`);
  }
  return { revision: 0, kinds: [], local: [], ...view } as ConfigView;
}

function asJson(node: string, admin: string, effective: ConfigView, intended: ConfigView, differences: ResourceDifference[]): string {
  return JSON.stringify(
    {
      node,
      admin,
      revision: effective.revision,
      intendedRevision: intended.revision,
      resources: effective.resources,
      local: effective.local,
      versions: effective.versions,
      differences,
      inSync: differences.length === 0,
    },
    null,
    2,
  );
}

/** The resources as YAML documents, the differences after them as comments: the output stays YAML. */
function asYaml(effective: ConfigView, intended: ConfigView, differences: ResourceDifference[]): string {
  const local = new Set(effective.local);
  const docs = effective.resources.map((r) => {
    const text = stringify(r, { lineWidth: 0 }).trimEnd();
    return local.has(`${String(r['kind'])}/${String(r['name'])}`) ? `# made by the proxy from its flags, not from the control plane\n${text}` : text;
  });
  const header = `differences from the control plane's intent (proxy at revision ${effective.revision}, control plane at revision ${intended.revision}):`;
  const section = [header, ...formatDifferences(differences)].map((l) => `# ${l}`).join('\n');
  return `${docs.length === 0 ? '# no resources' : docs.join('\n---\n')}\n\n${section}`;
}
