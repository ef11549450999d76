// A real `sluice proxy` sidecar following a MeshControlPlane with a bootstrap token: either the
// outbound side (--outbound-listen) or the inbound side (--inbound-listen, --app-port), each on port 0.
// Its admin port comes from its own output; its traffic port from /proc, as the one other port its
// process tree listens on.
import { join } from 'node:path';
import type { AddCleanup } from '../../../support/cleanup-stack.js';
import { stopChild } from '../../../support/process-guard.js';
import { SluiceProcess } from '../../../support/run-sluice.js';
import { GiveUp, until } from '../../../support/until.js';
import type { MeshControlPlane } from './mesh-control-plane.js';
import { listeningPorts } from './process-tree.js';

/** GET /certs on the proxy's admin port (docs/identity.md). */
export interface ProxyCerts {
  readonly identity: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly chain: string[];
  readonly workers: Array<string | null>;
}

export interface SidecarProcess {
  readonly process: SluiceProcess;
  /** http://host:port of the admin server. */
  readonly admin: string;
  /** The traffic port: outbound or inbound, whichever the sidecar was started with. */
  readonly port: number;
  readonly pid: number;
  /** /certs when it answers 200, else undefined. */
  certs(): Promise<ProxyCerts | undefined>;
  /** The sum of the samples of metric `name` whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Resolves when /config_dump holds a resource for which `match` is true. */
  hasResource(match: (r: Record<string, unknown>) => boolean): Promise<boolean>;
}

export interface SidecarOptions {
  readonly service: string;
  readonly nodeId?: string;
  readonly workers?: number;
  /** Inbound side: the application's port. Without it, the outbound side. */
  readonly appPort?: number;
  /** How the inbound side speaks to the application (--app-protocol). */
  readonly appProtocol?: 'http1' | 'h2c';
  /** A bootstrap token file; default: one made for `service`. `false`: no workload certificate. */
  readonly bootstrapTokenFile?: string | false;
}

export async function startSidecar(cp: MeshControlPlane, cleanup: AddCleanup, options: SidecarOptions): Promise<SidecarProcess> {
  const nodeId = options.nodeId ?? `${options.service}-1`;
  const bootstrap = options.bootstrapTokenFile ?? (await cp.bootstrapTokenFile(options.service));
  const args = ['proxy', '--control-plane', cp.discovery, '--node-id', nodeId, '--service', options.service,
    // As deployed: the proxy's own bootstrap token opens its stream too (its registration then carries its identity).
    '--token-file', bootstrap === false ? cp.tokenFile : bootstrap,
    '--workers', String(options.workers ?? 2), '--admin-listen', '127.0.0.1:0', '--state-dir', join(cp.dir, `state-${nodeId}`), '--drain-timeout-ms', '200',
    ...(bootstrap === false ? [] : ['--bootstrap-token-file', bootstrap]),
    ...(options.appPort === undefined ? ['--outbound-listen', '127.0.0.1:0'] : ['--inbound-listen', '127.0.0.1:0', '--app-port', String(options.appPort), '--app-protocol', options.appProtocol ?? 'http1'])];
  const proxy = new SluiceProcess(args);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  const admin = (await proxy.waitFor(/admin on (http:\/\/\S+)/, 20_000))[1]!;
  const adminPort = Number(new URL(admin).port);
  const port = await until(() => `the traffic port of ${nodeId}:\n${proxy.stdout}\n${proxy.stderr}`, () => {
    if (proxy.child.exitCode !== null) throw new GiveUp(`${nodeId} exited (${proxy.child.exitCode}):\n${proxy.stdout}\n${proxy.stderr}`);
    const others = listeningPorts(proxy.child.pid!).filter((p) => p !== adminPort);
    return others.length === 1 ? others[0] : undefined;
  }, 20_000);
  const metricsText = async () => await (await fetch(`${admin}/metrics`)).text();
  return {
    process: proxy,
    admin,
    port,
    pid: proxy.child.pid!,
    certs: async () => {
      const res = await fetch(`${admin}/certs`);
      return res.status === 200 ? ((await res.json()) as ProxyCerts) : (await res.arrayBuffer(), undefined);
    },
    metric: async (name, labels = {}) => {
      let sum = 0;
      for (const line of (await metricsText()).split('\n')) {
        const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (m === null || m[1] !== name) continue;
        const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
        if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
      }
      return sum;
    },
    hasResource: async (match) => {
      const dump = (await (await fetch(`${admin}/config_dump`)).json()) as { resources: Array<Record<string, unknown>> };
      return dump.resources.some(match);
    },
  };
}

/** Until both the proxy and each of its workers hold a workload certificate: the first /certs. */
export async function certified(sidecar: SidecarProcess, timeoutMs = 20_000): Promise<ProxyCerts> {
  return await until(`a workload certificate held by every worker of ${sidecar.admin}`, async () => {
    const c = await sidecar.certs();
    return c !== undefined && c.workers.length > 0 && c.workers.every((s) => s === c.serial) ? c : undefined;
  }, timeoutMs);
}
