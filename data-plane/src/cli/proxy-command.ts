// `sluice proxy`: the proxy application from the command line (flags: proxy-options.ts).
// With --control-plane the configuration comes from the discovery client (follow-control-plane.ts),
// each update applied through the same path as a file; a refused one is NACKed.
// With --workers N > 1 (default: the number of cores) the primary holds the configuration and serves
// the admin endpoints; the workers (Node cluster) share the listening sockets and serve traffic.
import cluster from 'node:cluster';
import { parseProxyArgs, PROXY_USAGE, UsageError } from './proxy-options.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { runWorker } from './proxy-worker.js';
import { startProxy } from './start-proxy.js';

export { UsageError };

export async function runProxyCommand(argv: string[]): Promise<void> {
  if (cluster.isWorker && process.env['SLUICE_PROXY_WORKER'] === '1') {
    // The primary passes the access-log flags in the environment (start-proxy.ts, WorkerPool `env`).
    const destination = process.env['SLUICE_ACCESS_LOG'];
    runWorker(new ProxyRuntime(undefined, destination === undefined ? undefined : { destination, sampleRate: Number(process.env['SLUICE_ACCESS_LOG_SAMPLE_RATE'] ?? '1') }));
    return;
  }
  const options = parseProxyArgs(argv);
  if (options === 'help') {
    console.log(PROXY_USAGE);
    return;
  }
  const proxy = await startProxy(options);

  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void proxy.stop().finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

