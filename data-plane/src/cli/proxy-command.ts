// `sluice proxy`: the proxy application from the command line.
//   sluice proxy --config FILE.yaml [--admin-listen 127.0.0.1:15000] [--workers N]
//                [--outbound-listen HOST:PORT] [--inbound-listen HOST:PORT --app-port PORT]
// With --control-plane the configuration comes from the discovery client (data-plane/src/discovery),
// each update applied through the same path as a file; a refused one is NACKed.
// With --workers N > 1 (default: the number of cores) the primary reads the configuration and serves
// the admin endpoints; the workers (Node cluster) share the listening sockets and serve traffic.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { formatFieldErrors, type FieldError } from '../../../control-plane/src/model/field-error.js';
import type { ResourceSet } from '../../../control-plane/src/model/resource-set.js';
import { DiscoveryClient } from '../discovery/discovery-client.js';
import { startAdminServer, type AdminSource } from '../admin/admin-server.js';
import { loadProxyConfig, type ProxyConfig } from './load-proxy-config.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { runWorker } from './proxy-worker.js';
import { resourcesToJson } from './resources-json.js';
import { withSidecar, type SidecarFlags } from './sidecar-resources.js';
import { WorkerPool } from './worker-pool.js';

const USAGE = `usage: sluice proxy --config FILE.yaml [--admin-listen HOST:PORT] [--workers N]
       sluice proxy --control-plane HOST:PORT[,HOST:PORT...] [--node-id ID] [--service NAME] [--token-file FILE] ...
                    [--outbound-listen HOST:PORT] [--inbound-listen HOST:PORT --app-port PORT]`;

export class UsageError extends Error {}

export async function runProxyCommand(argv: string[]): Promise<void> {
  if (cluster.isWorker && process.env['SLUICE_PROXY_WORKER'] === '1') {
    runWorker(new ProxyRuntime());
    return;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'admin-listen': { type: 'string', default: '127.0.0.1:15000' },
      workers: { type: 'string' },
      'outbound-listen': { type: 'string' },
      'inbound-listen': { type: 'string' },
      'app-port': { type: 'string' },
      'control-plane': { type: 'string' },
      'node-id': { type: 'string' },
      service: { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.config === undefined && values['control-plane'] === undefined) throw new UsageError(`--config or --control-plane is required\n${USAGE}`);
  if (values.config !== undefined && values['control-plane'] !== undefined) throw new UsageError('--config and --control-plane exclude each other');
  const workers = values.workers === undefined ? availableParallelism() : positiveInt(values.workers, '--workers');
  const sidecar: SidecarFlags = {
    outboundListen: values['outbound-listen'] === undefined ? undefined : hostPort(values['outbound-listen'], '--outbound-listen'),
    inboundListen: values['inbound-listen'] === undefined ? undefined : hostPort(values['inbound-listen'], '--inbound-listen'),
    appPort: values['app-port'] === undefined ? undefined : positiveInt(values['app-port'], '--app-port'),
  };
  if ((sidecar.inboundListen === undefined) !== (sidecar.appPort === undefined)) throw new UsageError('--inbound-listen and --app-port go together');

  let userFilters: ProxyConfig['userFilters'] = [];
  let baseDir = process.cwd();
  let fileResources: ResourceSet | undefined;
  if (values.config !== undefined) {
    const loaded = await loadProxyConfig(values.config);
    if (!loaded.ok) throw new Error(`${values.config} is not a valid configuration:\n${formatFieldErrors(loaded.errors)}`);
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

  let discovery: DiscoveryClient | undefined;
  if (fileResources !== undefined) {
    const errors = await apply(fileResources);
    if (errors.length > 0) {
      await stopServing();
      throw new Error(`configuration refused:\n${formatFieldErrors(errors)}`);
    }
  } else {
    discovery = new DiscoveryClient({
      addresses: values['control-plane']!.split(',').map((a) => a.trim()).filter(Boolean),
      node: { id: values['node-id'] ?? `${hostname()}-${process.pid}`, service: values.service ?? '' },
      token: await readToken(values['token-file']),
      // A refused configuration is NACKed with every error; the last good one keeps serving.
      apply: async (set) => {
        const errors = await apply(set);
        if (errors.length > 0) throw new Error(formatFieldErrors(errors));
      },
    });
    await discovery.start();
    console.log(`sluice proxy: following the control plane at ${values['control-plane']}`);
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
  const admin = values['admin-listen'];
  const adminServer = admin === '' || admin === 'off' ? undefined : await startAdminServer(source, ...hostPortTuple(admin, '--admin-listen'));
  if (adminServer !== undefined) console.log(`sluice proxy: admin on http://${admin} (/ready, /metrics, /config_dump)`);
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

/** The discovery token: --token-file, else SLUICE_TOKEN. */
async function readToken(file: string | undefined): Promise<string> {
  if (file !== undefined) return (await readFile(file, 'utf8')).trim();
  const token = process.env['SLUICE_TOKEN'];
  if (token === undefined || token === '') throw new UsageError('--control-plane needs --token-file FILE or SLUICE_TOKEN');
  return token;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function hostPort(value: string, flag: string): { host: string; port: number } {
  const [host, port] = hostPortTuple(value, flag);
  return { host, port };
}

function hostPortTuple(value: string, flag: string): [string, number] {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be HOST:PORT, got "${value}"`);
  return [value.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port];
}
