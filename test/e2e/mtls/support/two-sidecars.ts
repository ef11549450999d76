// The mutual-TLS scenario's cast: a control plane, sidecar A (outbound, service a) for the test's
// client, sidecar B (inbound, service b) in front of a fake application, and the mesh resources that
// route host `b` from A to B's inbound port. B registers itself for service `b`; the cluster is named
// `mesh-b` so that its registration (the application's port when the inbound port is 0) stays out
// of the cluster and every request A sends goes through B's inbound listener (or the test's relay).
import { request, type IncomingHttpHeaders } from 'node:http';
import type { AddCleanup } from '../../../support/cleanup-stack.js';
import { until } from '../../../support/until.js';
import { startMeshControlPlane, type MeshControlPlane, type MeshControlPlaneOptions } from './mesh-control-plane.js';
import { certified, startSidecar, type SidecarProcess } from './sidecar-process.js';

export const CLUSTER = 'mesh-b';
export const SPIFFE_A = 'spiffe://sluice.local/svc/a';
export const SPIFFE_B = 'spiffe://sluice.local/svc/b';

export interface TwoSidecars {
  readonly cp: MeshControlPlane;
  readonly a: SidecarProcess;
  readonly b: SidecarProcess;
  /** Points cluster mesh-b at `port` (default B's inbound port), with B's identity unless `identity` is ''; waits until A has it. */
  setEndpoint(port?: number, identity?: string): Promise<void>;
  /** Applies `yaml` and waits until B's /config_dump holds a resource `match` accepts. */
  applyToB(yaml: string, match: (r: Record<string, unknown>) => boolean): Promise<void>;
}

export interface TwoSidecarsOptions extends MeshControlPlaneOptions {
  /** B's application. */
  readonly appPort: number;
  readonly protocol?: 'HTTP1' | 'H2C';
  readonly workers?: number;
  /** Extra lines of the Cluster (a pool block). */
  readonly clusterExtra?: string;
  /** Extra resources applied before the sidecars start (a PeerAuthentication). */
  readonly extraYaml?: string;
}

export async function startTwoSidecars(cleanup: AddCleanup, options: TwoSidecarsOptions): Promise<TwoSidecars> {
  const cp = await startMeshControlPlane(cleanup, options);
  await cp.apply(`kind: Cluster
name: ${CLUSTER}
protocol: ${options.protocol ?? 'HTTP1'}
connectTimeoutMs: 2000
${options.clusterExtra ?? ''}
---
kind: Route
name: to-b
hosts: [b]
match: {pathPrefix: /}
forward: {cluster: ${CLUSTER}}
timeoutMs: 10000
${options.extraYaml === undefined ? '' : `---\n${options.extraYaml}`}`);
  const [b, a] = await Promise.all([
    startSidecar(cp, cleanup, { service: 'b', appPort: options.appPort, appProtocol: options.protocol === 'H2C' ? 'h2c' : 'http1', workers: options.workers }),
    startSidecar(cp, cleanup, { service: 'a', workers: options.workers }),
  ]);
  await Promise.all([certified(a), certified(b)]);
  const applyTo = async (proxy: SidecarProcess, yaml: string, match: (r: Record<string, unknown>) => boolean): Promise<void> => {
    await cp.apply(yaml);
    await until(`${proxy.admin} to apply:\n${yaml}`, () => proxy.hasResource(match));
  };
  const setEndpoint = async (port = b.port, identity = SPIFFE_B): Promise<void> => {
    const endpoint = identity === '' ? `{address: 127.0.0.1, port: ${port}}` : `{address: 127.0.0.1, port: ${port}, identity: "${identity}"}`;
    await applyTo(a, `kind: Endpoints\nname: ${CLUSTER}\nendpoints: [${endpoint}]\n`, (r) =>
      {
      const listed = (r['endpoints'] ?? []) as Array<{ port?: number; identity?: string }>;
      return r['kind'] === 'Endpoints' && r['name'] === CLUSTER && listed.length === 1 && listed[0]!.port === port && (listed[0]!.identity ?? '') === identity;
    });
  };
  await setEndpoint();
  return { cp, a, b, setEndpoint, applyToB: (yaml, match) => applyTo(b, yaml, match) };
}

/** A PeerAuthentication for B, and the check that B holds it. */
export function peerAuthentication(mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE'): { yaml: string; match: (r: Record<string, unknown>) => boolean } {
  return {
    yaml: `kind: PeerAuthentication\nname: b-mode\nselector: {service: b}\nmode: ${mode}\n`,
    match: (r) => r['kind'] === 'PeerAuthentication' && r['name'] === 'b-mode' && r['mode'] === mode,
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a new connection to 127.0.0.1:port with Host `host`; rejects when nothing answers. */
export function call(port: number, path: string, headers: Record<string, string> = {}, host = 'b'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path} in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}
