// `sluice proxy`: the proxy application from the command line.
//   sluice proxy --config FILE.yaml [--admin-listen 127.0.0.1:15000] [--workers N]
//                [--outbound-listen HOST:PORT] [--inbound-listen HOST:PORT --app-port PORT]
// With --workers N > 1 (default: the number of cores) the primary reads the configuration and serves
// the admin endpoints; the workers (Node cluster) share the listening sockets and serve traffic.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { formatFieldErrors } from '../../../control-plane/src/model/field-error.js';
import { startAdminServer, type AdminSource } from '../admin/admin-server.js';
import { loadProxyConfig, type ProxyConfig } from './load-proxy-config.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { runWorker } from './proxy-worker.js';
import { resourcesToJson } from './resources-json.js';
import { withSidecar, type SidecarFlags } from './sidecar-resources.js';
import { WorkerPool } from './worker-pool.js';

const USAGE = `usage: sluice proxy --config FILE.yaml [--admin-listen HOST:PORT] [--workers N]
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
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values['control-plane'] !== undefined) {
    throw new UsageError('sluice proxy --control-plane: the discovery client mode is not wired into this command yet; use --config');
  }
  if (values.config === undefined) throw new UsageError(`--config is required\n${USAGE}`);
  const workers = values.workers === undefined ? availableParallelism() : positiveInt(values.workers, '--workers');
  const sidecar: SidecarFlags = {
    outboundListen: values['outbound-listen'] === undefined ? undefined : hostPort(values['outbound-listen'], '--outbound-listen'),
    inboundListen: values['inbound-listen'] === undefined ? undefined : hostPort(values['inbound-listen'], '--inbound-listen'),
    appPort: values['app-port'] === undefined ? undefined : positiveInt(values['app-port'], '--app-port'),
  };
  if ((sidecar.inboundListen === undefined) !== (sidecar.appPort === undefined)) throw new UsageError('--inbound-listen and --app-port go together');

  const loaded = await loadProxyConfig(values.config);
  if (!loaded.ok) throw new Error(`${values.config} is not a valid configuration:\n${formatFieldErrors(loaded.errors)}`);
  const config: ProxyConfig = { ...loaded.config, resources: withSidecar(loaded.config.resources, sidecar) };

  let source: AdminSource;
  let stop: () => Promise<void>;
  if (workers === 1) {
    const runtime = new ProxyRuntime();
    const result = await runtime.apply(config.resources, config.userFilters, config.baseDir);
    if (!result.ok) throw new Error(`configuration refused:\n${formatFieldErrors(result.errors)}`);
    source = { ready: () => true, metrics: async () => runtime.mesh.stats.toPrometheus(), configDump: () => ({ resources: resourcesToJson(config.resources, true) }) };
    stop = () => runtime.mesh.close();
    for (const name of runtime.mesh.listeners.names()) {
      const a = runtime.mesh.listeners.address(name);
      console.log(`sluice proxy: listener ${name} on ${a?.address}:${a?.port}`);
    }
  } else {
    const pool = new WorkerPool(workers);
    await pool.start();
    const errors = await pool.apply(config.resources, config.userFilters, config.baseDir);
    if (errors.length > 0) {
      await pool.stop();
      throw new Error(`configuration refused:\n${formatFieldErrors(errors)}`);
    }
    source = { ready: () => pool.ready, metrics: () => pool.metrics(), configDump: () => ({ resources: resourcesToJson(config.resources, true) }) };
    stop = () => pool.stop();
    console.log(`sluice proxy: ${workers} workers serving ${config.resources.list('Listener').map((l) => `${l.name} on ${l.address}:${l.port}`).join(', ')}`);
  }
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
