// One control-plane replica for the fleet benchmark, in its own process as in production (so two
// replicas do not share one event loop, and the benchmark's own work does not run on the replica's).
// It reports when each proxy reaches each revision (its ACKs completing it), batched over IPC, and its
// memory on request.
// Run by fleet-bench.ts: node --expose-gc bench-replica.js <etcd endpoints,comma | embedded> <token> [send budget MiB]
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { discoveryModule, type DiscoveryModule } from '../../control-plane/src/discovery/discovery-module.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';

export type ReplicaMessage =
  | { readonly type: 'ready'; readonly apiUrl: string; readonly discoveryAddress: string }
  /** Pairs of node id and revision, in the order the proxies reached them, with when (epoch ms). */
  | { readonly type: 'synced'; readonly nodes: readonly string[]; readonly revisions: readonly number[]; readonly at: readonly number[] }
  | { readonly type: 'memory'; readonly heap: number; readonly rss: number; readonly streams: number; readonly cpuMs: number };

export type ReplicaCommand = { readonly type: 'memory' } | { readonly type: 'stop' };

const [endpoints, token, budgetMb] = process.argv.slice(2);
const send = (m: ReplicaMessage): void => void process.send?.(m);
const gc = (globalThis as { gc?: () => void }).gc;

const nodes: string[] = [];
const revisions: number[] = [];
const at: number[] = [];
const flush = (): void => {
  if (nodes.length === 0) return;
  send({ type: 'synced', nodes: nodes.splice(0), revisions: revisions.splice(0), at: at.splice(0) });
};
// Batched: one IPC message per proxy per write would cost the replica more than the write itself.
const flushTimer = setInterval(flush, 20);

let discovery: DiscoveryModule | undefined;
const cp = new ControlPlane({
  token: token!,
  apiListen: { host: '127.0.0.1', port: 0 },
  ...(endpoints === 'embedded' ? {} : { store: new EtcdStore({ endpoints: endpoints!.split(',') }) }),
  log: createLogger({ level: 'error' }),
  modules: [discoveryModule({
    listen: { host: '127.0.0.1', port: 0 },
    ...(budgetMb === undefined || budgetMb === '' ? {} : { server: { sendBudgetBytes: Number(budgetMb) * 2 ** 20 } }),
    hooks: {
      onProxySynced: (node, revision) => {
        nodes.push(node.id);
        revisions.push(revision);
        at.push(performance.timeOrigin + performance.now());
      },
    },
  }, (m) => (discovery = m))],
});
await cp.start();
send({ type: 'ready', apiUrl: cp.apiUrl, discoveryAddress: discovery!.address });

// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
process.on('message', (m: ReplicaCommand) => {
  if (m.type === 'memory') {
    for (let i = 0; i < 3; i++) gc?.();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    send({ type: 'memory', heap: mem.heapUsed + mem.external, rss: mem.rss, streams: discovery!.registry.size, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (m.type === 'stop') {
    clearInterval(flushTimer);
    void cp.stop().then(() => process.exit(0));
  }
});
