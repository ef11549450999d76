// Starts one proxy from its validated options: the runtime in this process (--workers 1) or a pool of
// worker processes, the configuration from a file or from the control plane, and the admin server.
// `sluice proxy` runs it until a signal; `sluice start` embeds it beside the control plane.
import type { AddressInfo } from 'node:net';
import { formatFieldErrors, type FieldError } from '../../../control-plane/src/model/field-error.js';
import type { ResourceSet } from '../../../control-plane/src/model/resource-set.js';
import { startAdminServer, type AdminSource } from '../admin/admin-server.js';
import { followControlPlane, type FollowedControlPlane } from './follow-control-plane.js';
import { loadProxyConfig, type ProxyConfig } from './load-proxy-config.js';
import type { ProxyOptions } from './proxy-options.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { resourcesToJson } from './resources-json.js';
import { withSidecar, type SidecarFlags } from './sidecar-resources.js';
import { WorkerPool } from './worker-pool.js';

export interface RunningProxy {
  /** The admin server's address (port 0 resolved), unless --admin-listen off. */
  readonly adminAddress: AddressInfo | undefined;
  /** Whether a configuration is applied (in every worker): what /ready says. */
  ready(): boolean;
  /** Stops following the control plane, closes the admin server and the listeners (or workers). */
  stop(): Promise<void>;
}

export interface StartProxyExtras {
  /** Gets the start-up lines (`sluice proxy: ...`); stdout by default. */
  readonly print?: (line: string) => void;
  /** The discovery token itself, for a process that embeds the proxy (`sluice start`). */
  readonly token?: string;
}

export async function startProxy(options: ProxyOptions, extras: StartProxyExtras = {}): Promise<RunningProxy> {
  const print = extras.print ?? ((line: string) => console.log(line));
  const { workers } = options;
  const sidecar: SidecarFlags = options;

  let userFilters: ProxyConfig['userFilters'] = [];
  let baseDir = process.cwd();
  let fileResources: ResourceSet | undefined;
  if (options.config !== undefined) {
    const loaded = await loadProxyConfig(options.config);
    if (!loaded.ok) throw new Error(`${options.config} is not a valid configuration:\n${formatFieldErrors(loaded.errors)}`);
    ({ userFilters, baseDir } = loaded.config);
    fileResources = loaded.config.resources;
  }

  // One way to apply a configuration, whichever its source: in-process, or to every worker.
  let applyTo: (set: ResourceSet) => Promise<FieldError[]>;
  let metrics: () => Promise<string>;
  let stopServing: () => Promise<void>;
  let runtime: ProxyRuntime | undefined;
  let pool: WorkerPool | undefined;
  if (workers === 1) {
    const rt = (runtime = new ProxyRuntime());
    applyTo = async (set) => {
      const r = await rt.apply(set, userFilters, baseDir);
      return r.ok ? [] : r.errors;
    };
    metrics = async () => rt.mesh.stats.toPrometheus();
    stopServing = () => rt.mesh.close();
  } else {
    const wp = (pool = new WorkerPool(workers));
    await wp.start();
    applyTo = (set) => wp.apply(set, userFilters, baseDir);
    metrics = () => wp.metrics();
    stopServing = () => wp.stop();
  }
  let applied: ResourceSet | undefined;
  const apply = async (set: ResourceSet): Promise<FieldError[]> => {
    const full = withSidecar(set, sidecar);
    const errors = await applyTo(full);
    if (errors.length === 0) applied = full;
    return errors;
  };

  let discovery: FollowedControlPlane | undefined;
  if (fileResources !== undefined) {
    const errors = await apply(fileResources);
    if (errors.length > 0) {
      await stopServing();
      throw new Error(`configuration refused:\n${formatFieldErrors(errors)}`);
    }
  } else {
    discovery = await followControlPlane(options, apply, () => applied !== undefined, extras.token);
    print(`sluice proxy: following the control plane at ${options.controlPlane!.join(',')} as ${options.nodeId}`);
  }
  if (runtime !== undefined) {
    for (const name of runtime.mesh.listeners.names()) {
      const a = runtime.mesh.listeners.address(name);
      print(`sluice proxy: listener ${name} on ${a?.address}:${a?.port}`);
    }
  } else if (applied !== undefined) {
    print(`sluice proxy: ${workers} workers serving ${applied.list('Listener').map((l) => `${l.name} on ${l.address}:${l.port}`).join(', ')}`);
  }
  const source: AdminSource = {
    ready: () => applied !== undefined && (pool?.ready ?? true),
    metrics,
    configDump: () => ({ resources: applied === undefined ? [] : resourcesToJson(applied, true) }),
  };
  const stop = async (): Promise<void> => {
    await discovery?.stop();
    await stopServing();
  };
  const admin = options.admin;
  const adminServer = admin === undefined ? undefined : await startAdminServer(source, admin.host, admin.port);
  if (adminServer !== undefined) print(`sluice proxy: admin on http://${admin!.host}:${admin!.port} (/live, /ready, /metrics, /config_dump)`);

  print('sluice proxy: ready');
  return {
    adminAddress: (adminServer?.address() as AddressInfo | null) ?? undefined,
    ready: source.ready,
    stop: async () => {
      adminServer?.close();
      await stop();
    },
  };
}
