// `sluice proxy`: the proxy application from the command line (flags: proxy-options.ts).
// With --control-plane the configuration comes from the discovery client (follow-control-plane.ts),
// each update applied through the same path as a file; a refused one is NACKed.
// With --workers N > 1 (default: the number of cores) the primary holds the configuration and serves
// the admin endpoints; the workers (Node cluster) share the listening sockets and serve traffic.
// Signals (docs/data-plane.md, "Lifecycle"): SIGTERM drains for --drain-timeout-ms and exits 0; SIGINT closes every
// connection at once and exits 130 (also during a drain); SIGHUP replaces the workers one by one with
// freshly loaded code (zero-downtime restart), as `sluice proxy reload` does through the admin server.
import cluster from 'node:cluster';
import { parseProxyArgs, PROXY_USAGE, SIGINT_EXIT_CODE } from './proxy-options.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { runWorker } from './proxy-worker.js';
import { releaseStartupHold } from './startup-hold.js';
import { WorkerTokenChannel } from './worker-token-channel.js';
import { Tracing } from '../tracing/tracing.js';
import type { RunningProxy } from './start-proxy.js';


export async function runProxyCommand(argv: string[]): Promise<void> {
  if (cluster.isWorker && process.env['SLUICE_PROXY_WORKER'] === '1') {
    // The primary passes the access-log flags in the environment (start-proxy.ts, WorkerPool `env`).
    const env = process.env;
    const destination = env['SLUICE_ACCESS_LOG'];
    const workload = { service: env['SLUICE_SERVICE'] ?? '', namespace: env['SLUICE_NAMESPACE'] ?? '' };
    const tracing = await Tracing.fromEnv(env, { ...workload, nodeId: env['SLUICE_NODE_ID'] ?? '' });
    // Rate limits borrow their tokens from the primary, so they hold for the whole proxy.
    const tokens = new WorkerTokenChannel((m) => process.send?.(m), Number(env['SLUICE_PROXY_WORKERS'] ?? '1'));
    runWorker(new ProxyRuntime({
      tokenSources: tokens.sources,
      ...(destination === undefined ? {} : { accessLog: { destination, sampleRate: Number(env['SLUICE_ACCESS_LOG_SAMPLE_RATE'] ?? '1') } }),
      localZone: env['SLUICE_ZONE'] ?? '',
      workload,
      meshTls: env['SLUICE_MESH_TLS'] === '1',
      ...(tracing === undefined ? {} : { tracing }),
    }), tokens);
    return;
  }
  const options = parseProxyArgs(argv);
  if (options === 'help') {
    console.log(PROXY_USAGE);
    return;
  }
  // Loaded here, not at the top: a worker never needs the primary's parts (the discovery client,
  // gRPC, certificates, YAML), and leaving them out keeps each worker's memory small.
  const { startProxy, ReloadUnsupported } = await import('./start-proxy.js');
  const proxy = await startProxy(options);
  releaseStartupHold();
  process.on('SIGHUP', () => void reloadOnSignal(proxy, ReloadUnsupported));
  const code = await new Promise<number>((resolve) => {
    let exitCode = 0;
    const stopped = (): void => resolve(exitCode);
    // `on`, not `once`: a repeated SIGTERM must not fall back to the default action (killed mid-drain).
    let draining = false;
    process.on('SIGTERM', () => {
      if (draining) return;
      draining = true;
      console.log(`sluice proxy: SIGTERM: draining for up to ${options.drainTimeoutMs} ms`);
      void proxy.stop().finally(stopped);
    });
    process.on('SIGINT', () => {
      exitCode = SIGINT_EXIT_CODE;
      void proxy.stop({ drainTimeoutMs: 0 }).finally(stopped);
    });
  });
  console.log(`sluice proxy: stopped (exit ${code})`);
  // Discovery backoff timers or upstream sockets must not keep a stopped proxy alive.
  process.exit(code);
}

async function reloadOnSignal(proxy: RunningProxy, ReloadUnsupported: new (...args: never[]) => Error): Promise<void> {
  try {
    const { replaced } = await proxy.reload();
    console.log(`sluice proxy: reloaded: workers ${replaced.map((r) => `${r.old}->${r.new}`).join(', ')}`);
  } catch (err) {
    console.error(`sluice proxy: reload ${err instanceof ReloadUnsupported ? 'refused' : 'failed'}: ${(err as Error).message}`);
  }
}

