// The chaos run end to end: a three-member etcd, two control-plane replicas, proxies with two
// workers each, upstreams in processes of their own; load through every proxy and configuration
// changes through the API the whole time, while the events of the plan happen one after another.
// Returns every count and check; chaos-verdicts.ts says what must hold.
import { startGrpcServer } from '../data-plane/helpers/grpc-echo.js';
import { ChangeDriver, type ChangeCounts } from '../e2e/scenario/change-driver.js';
import { LaneCounters } from '../e2e/scenario/lane-counters.js';
import { configureMesh } from '../e2e/scenario/mesh-configured.js';
import { startMesh, type Mesh } from '../e2e/scenario/mesh-processes.js';
import { runProxyLoad } from '../e2e/scenario/proxy-load.js';
import { HOSTS, initialResources, type UpstreamPorts } from '../e2e/scenario/scenario-resources.js';
import { createTestCa } from '../e2e/scenario/test-certificates.js';
import { startWebSocketEchoUpstream } from '../e2e/scenario/websocket-echo-upstream.js';
import { awaitConvergence, checkStore, type Convergence, type StoreCheck } from './chaos-checks.js';
import { eventTitle, runEvent, type ChaosContext, type EventRecord } from './chaos-events.js';
import { ChaosLedger, type Phase } from './chaos-ledger.js';
import { resilient } from './chaos-resources.js';
import { planChaos, type ChaosPlan } from './chaos-schedule.js';
import { summarizeLog, type ProcessLog } from './process-logs.js';
import { UpstreamProcess } from './upstream-processes.js';
import { WriteTargets } from './write-targets.js';

export interface ChaosOptions {
  readonly durationMs: number;
  /** Multiplies the load's rates (proxy-load.ts; 1 is the zero-drop test's). */
  readonly loadScale: number;
  readonly changesPerSecond: number;
  readonly proxies: number;
  readonly log: (line: string) => void;
}

export interface ChaosReport {
  readonly options: Omit<ChaosOptions, 'log'>;
  readonly plan: ChaosPlan;
  readonly phases: readonly Phase[];
  /** One per planned event, in order (phases[i + 1] is events[i]'s). */
  readonly events: readonly EventRecord[];
  readonly lanes: readonly LaneCounters[];
  readonly changes: ChangeCounts;
  readonly convergence: Convergence | string;
  readonly store: StoreCheck | string;
  /** Lanes still running when the wait for them ended. */
  readonly unfinished: readonly string[];
  readonly processExits: readonly string[];
  /** Warnings and errors the replicas and proxies logged. */
  readonly logs: readonly ProcessLog[];
  readonly wallMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const UPSTREAMS = ['web-a1', 'web-a2', 'web-b1', 'pool-1', 'pool-2'] as const;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const plan = planChaos(options.durationMs);
  const t0 = Date.now();
  const log = (line: string): void => options.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const upstreams = new Map<string, UpstreamProcess>();
    for (const name of UPSTREAMS) {
      const u = await UpstreamProcess.start(name);
      upstreams.set(name, u);
      cleanups.push(() => u.stop());
    }
    const grpcServer = await startGrpcServer();
    cleanups.push(() => new Promise<void>((r) => grpcServer.server.tryShutdown(() => r())));
    const ws = await startWebSocketEchoUpstream();
    cleanups.push(() => ws.close());
    const port = (name: (typeof UPSTREAMS)[number]): number => upstreams.get(name)!.port;
    const ports: UpstreamPorts = { webA: [port('web-a1'), port('web-a2')], webB: [port('web-b1')], pool: [port('pool-1'), port('pool-2')], grpc: grpcServer.port, ws: ws.port };
    const ca = createTestCa();
    cleanups.push(async () => ca.dispose());
    const leaf = ca.issue([HOSTS.web, 'secure.test']);

    const mesh: Mesh = await startMesh({ proxies: options.proxies, workers: 2, etcdMembers: 3, drainTimeoutMs: 10_000 });
    cleanups.unshift(() => mesh.stop());
    log(`mesh up: etcd ${mesh.etcd.endpoints.join(',')}; replicas ${mesh.replicas.map((r) => `${r.name} ${r.api} (pid ${r.process.child.pid})`).join(', ')}; proxies ${mesh.proxies.map((p) => `${p.nodeId}(${p.pid})`).join(' ')}`);
    const listeners = await configureMesh(mesh, initialResources(ports, leaf).map(resilient));
    log(`configured; listeners main ${listeners.main.join(',')} secure ${listeners.secure.join(',')}`);

    const start = Date.now();
    const ledger = new ChaosLedger('warm-up (no event)', start);
    const lanes: LaneCounters[] = [];
    let running = true;
    const work = mesh.proxies.flatMap((p, i) =>
      runProxyLoad({ nodeId: p.nodeId, mainPort: () => listeners.main[i], securePort: () => listeners.secure[i] }, {
        scale: options.loadScale,
        running: () => running,
        caPem: ca.caPem,
        lane: (name) => {
          const lane = new LaneCounters(name, 'unchanged', ledger.observer);
          lanes.push(lane);
          return lane;
        },
      }));
    const targets = new WriteTargets(mesh.replicas);
    const driver = new ChangeDriver({
      api: targets.next, token: mesh.token, ports, rotatedLeaf: leaf, perSecond: options.changesPerSecond,
      durationMs: plan.durationMs, oneOffs: false, decorate: resilient, onAnswer: ledger.onApply,
    });
    const changes = driver.run();
    const ctx: ChaosContext = {
      mesh, upstreams, ledger, driver, targets, background: [], retiredLogs: [],
      log: (line) => log(line),
      at: (ms) => sleep(Math.max(0, start + ms - Date.now())),
    };
    const events: EventRecord[] = [];
    for (const ev of plan.events) {
      await ctx.at(ev.atMs);
      const rec: EventRecord = { title: eventTitle(ev), figures: [], problems: [] };
      events.push(rec);
      ledger.enter(rec.title);
      log(`event: ${rec.title}`);
      await runEvent(ctx, ev, rec);
      log(`event done: ${rec.title}${rec.problems.length > 0 ? ` (problems: ${rec.problems.join('; ')})` : ''}`);
    }
    const last = plan.events.at(-1)!;
    await ctx.at(last.atMs + last.slotMs);
    ledger.enter('settle (no event)');
    await changes;
    running = false;
    log(`changes done: ${driver.counts.ok} of ${driver.counts.sent} accepted; stopping the load`);
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(work), new Promise((r) => (guard = setTimeout(r, 60_000)))]);
    clearTimeout(guard);
    await Promise.all(ctx.background);

    log('waiting for every proxy to run the last write');
    const privateKeys = new Map([['gw-cert', leaf.privateKey]]);
    const convergence = await awaitConvergence(mesh, driver.counts.lastRevision, privateKeys).catch((err: Error) => err.message);
    log('listing every key in etcd');
    const store = await checkStore(mesh).catch((err: Error) => err.message);
    const exited = (name: string, child: { exitCode: number | null; signalCode: NodeJS.Signals | null }, err: string): string[] =>
      child.exitCode !== null || child.signalCode !== null ? [`${name} exited ${child.exitCode ?? child.signalCode}: ${err.slice(-1000)}`] : [];
    const processExits = [
      ...mesh.proxies.flatMap((p) => exited(`proxy ${p.nodeId}`, p.process.child, p.process.stderr)),
      ...mesh.replicas.flatMap((r) => exited(`replica ${r.name}`, r.process.child, r.process.stderr)),
    ];
    return {
      options: { durationMs: options.durationMs, loadScale: options.loadScale, changesPerSecond: options.changesPerSecond, proxies: options.proxies },
      plan, phases: ledger.phases, events, lanes, changes: driver.counts, convergence, store,
      unfinished: lanes.filter((l) => l.finished !== l.started).map((l) => `${l.name}: ${l.started - l.finished} of ${l.started} never finished`),
      processExits,
      logs: [
        ...ctx.retiredLogs.map((l) => summarizeLog(l.name, l.text)),
        ...mesh.replicas.map((r) => summarizeLog(r.name, `${r.process.stdout}\n${r.process.stderr}`)),
        ...mesh.proxies.map((p) => summarizeLog(`proxy ${p.nodeId}`, `${p.process.stdout}\n${p.process.stderr}`)),
      ],
      wallMs: Date.now() - t0,
    };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
    log('stopped');
  }
}
