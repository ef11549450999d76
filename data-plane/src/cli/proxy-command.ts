// `sluice proxy`: the proxy application from the command line (flags: proxy-options.ts).
// With --control-plane the configuration comes from the discovery client (follow-control-plane.ts),
// each update applied through the same path as a file; a refused one is NACKed.
// With --workers N > 1 (default: the number of cores) the primary holds the configuration and serves
// the admin endpoints; the workers (Node cluster) share the listening sockets and serve traffic.
import cluster from 'node:cluster';
import { formatFieldErrors, type FieldError } from '../../../control-plane/src/model/field-error.js';
import type { ResourceSet } from '../../../control-plane/src/model/resource-set.js';
import { startAdminServer, type AdminSource } from '../admin/admin-server.js';
import { followControlPlane, type FollowedControlPlane } from './follow-control-plane.js';
import { loadProxyConfig, type ProxyConfig } from './load-proxy-config.js';
import { parseProxyArgs, PROXY_USAGE, UsageError } from './proxy-options.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { runWorker } from './proxy-worker.js';
import { resourcesToJson } from './resources-json.js';
import { withSidecar, type SidecarFlags } from './sidecar-resources.js';
import { WorkerPool } from './worker-pool.js';

export { UsageError };

export async function runProxyCommand(argv: string[]): Promise<void> {
  if (cluster.isWorker && process.env['SLUICE_PROXY_WORKER'] === '1') {
    runWorker(new ProxyRuntime());
    return;
  }
  const options = parseProxyArgs(argv);
  if (options === 'help') {
    console.log(PROXY_USAGE);
    return;
  }
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
    discovery = await followControlPlane(options, apply, () => applied !== undefined);
    console.log(`sluice proxy: following the control plane at ${options.controlPlane!.join(',')} as ${options.nodeId}`);
  }
  if (runtime !== undefined) {
    for (const name of runtime.mesh.listeners.names()) {
      const a = runtime.mesh.listeners.address(name);
      console.log(`sluice proxy: listener ${name} on ${a?.address}:${a?.port}`);
    }
  } else if (applied !== undefined) {
    console.log(`sluice proxy: ${workers} workers serving ${applied.list('Listener').map((l) => `${l.name} on ${l.address}:${l.port}`).join(', ')}`);
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
  if (adminServer !== undefined) console.log(`sluice proxy: admin on http://${admin!.host}:${admin!.port} (/live, /ready, /metrics, /config_dump)`);
  console.log('sluice proxy: ready');

  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      adminServer?.close();
      void stop().finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

