// The zero-drop scenario, end to end: real etcd, two control-plane replicas, three proxies
// with two workers each, fake upstreams, and every kind of load running while the admin API applies
// changes at 10 a second; midway one replica is SIGKILLed and one proxy restarted. Returns every count;
// zero-drop-verdicts.ts says what must hold. Used by the `npm test` variant and the 60 s benchmark.
import { connect as tlsConnect } from 'node:tls';
import { startGrpcServer } from '../../data-plane/helpers/grpc-echo.js';
import { ChangeDriver, ONE_OFF_AT, type ChangeCounts, type OneOffTimes } from './change-driver.js';
import { startCountingUpstream, type CountingUpstream } from './counting-upstream.js';
import { runHttp1Lane, type HttpTarget } from './http1-load.js';
import { LaneCounters } from './lane-counters.js';
import { startMesh, type Mesh } from './mesh-processes.js';
import { listeningPort } from './process-sockets.js';
import { restartProxy, type RestartResult } from './restart-proxy.js';
import { configureMesh, connectedTo, rolloutOf, type Rollout } from './mesh-configured.js';
import { runProxyLoad } from './proxy-load.js';
import { HOSTS, initialResources, LISTEN, type UpstreamPorts } from './scenario-resources.js';
import { createTestCa } from './test-certificates.js';
import { startWebSocketEchoUpstream } from './websocket-echo-upstream.js';
import { until } from '../../support/until.js';

export type { Rollout } from './mesh-configured.js';

export interface ScenarioOptions {
  readonly durationMs: number;
  /** Multiplies every load rate (1: the modest rates of the `npm test` variant). */
  readonly loadScale?: number;
  readonly changesPerSecond?: number;
  /** Load before the changes start, so the proxies' pools are filled (default 3000). */
  readonly warmUpMs?: number;
  readonly log?: (line: string) => void;
}

export interface UpstreamCounts {
  readonly name: string;
  readonly connections: number;
  readonly requests: number;
  readonly aborted: number;
}

export interface ScenarioReport {
  readonly durationMs: number;
  readonly lanes: readonly LaneCounters[];
  readonly upstreams: readonly UpstreamCounts[];
  /** The same counts from the first change on (the warm-up's pool filling left out). */
  readonly upstreamsDuringChanges: readonly UpstreamCounts[];
  readonly websocketUpstream: { sessions: number; abnormal: number };
  readonly changes: ChangeCounts;
  readonly times: OneOffTimes & { start: number; replicaKilledAt?: number; restartAt?: number };
  readonly restart: RestartResult | string;
  readonly rollout: Rollout | string;
  /** Per proxy: the certificate serial a fresh handshake got at the end, and the rotated leaf's. */
  readonly certificates: ReadonlyArray<{ nodeId: string; serial: string }>;
  readonly rotatedSerial: string;
  /** Per proxy: the main and secure ports before and after (a rebind would change them). */
  readonly ports: ReadonlyArray<{ nodeId: string; before: string; after: string }>;
  /** Per proxy: the port the added listener got (0: never seen). */
  readonly extraPorts: readonly number[];
  readonly proxyExits: readonly string[];
  readonly upstreamCutSamples: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function peerSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: LISTEN.secure, port, servername: HOSTS.web, ca }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.end();
    });
    socket.once('error', (err) => resolve(`error: ${err.message}`));
  });
}

export async function runZeroDropScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const t0 = Date.now();
  const log = (line: string): void => options.log?.(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  const warmUpMs = options.warmUpMs ?? 3000;
  const scale = options.loadScale ?? 1;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const named = async (name: string): Promise<CountingUpstream> => {
      const u = await startCountingUpstream(name);
      cleanups.push(() => u.close());
      return u;
    };
    const http1 = [await named('web-a1'), await named('web-a2'), await named('web-b1'), await named('pool-1'), await named('pool-2')];
    const grpcServer = await startGrpcServer();
    cleanups.push(() => new Promise<void>((r) => grpcServer.server.tryShutdown(() => r())));
    const ws = await startWebSocketEchoUpstream();
    cleanups.push(() => ws.close());
    const ports: UpstreamPorts = { webA: [http1[0]!.port, http1[1]!.port], webB: [http1[2]!.port], pool: [http1[3]!.port, http1[4]!.port], grpc: grpcServer.port, ws: ws.port };
    const ca = createTestCa();
    cleanups.push(async () => ca.dispose());
    const [firstLeaf, rotatedLeaf] = [ca.issue([HOSTS.web, 'secure.test']), ca.issue([HOSTS.web, 'secure.test'])];

    const mesh: Mesh = await startMesh({ proxies: 3, workers: 2, drainTimeoutMs: 10_000 });
    cleanups.unshift(() => mesh.stop());
    const [cpA, cpB] = [mesh.replicas[0]!, mesh.replicas[1]!];
    const nameOf = (replica: typeof cpA): string => (replica === cpA ? 'cp-a' : 'cp-b');
    log(`mesh up: etcd ${mesh.etcd.endpoints[0]}, replicas ${cpA.api} ${cpB.api}, proxies ${mesh.proxies.map((p) => `${p.nodeId}(${p.pid})`).join(' ')}`);

    const { main: mainPorts, secure: securePorts } = await configureMesh(mesh, initialResources(ports, firstLeaf));
    const extraPorts = mesh.proxies.map(() => 0);
    const onA = await connectedTo(cpA, mesh.token);
    const onB = await connectedTo(cpB, mesh.token);
    log(`proxies on cp-a: ${onA.join(',') || 'none'}; on cp-b: ${onB.join(',') || 'none'}`);
    // The replica killed midway is the one serving more proxies, so the kill always moves some of
    // them to the survivor, which takes the changes and answers the final rollout.
    const [victim, survivor] = onA.length >= onB.length ? [cpA, cpB] : [cpB, cpA];
    log(`listeners: main ${mainPorts.join(',')} secure ${securePorts.join(',')}`);

    // The load: one set of lanes per proxy.
    let running = true;
    const driver = new ChangeDriver({ api: () => survivor.api, token: mesh.token, ports, rotatedLeaf, perSecond: options.changesPerSecond ?? 10, durationMs: options.durationMs });
    const lanes: LaneCounters[] = [];
    const lane = (name: string, listener: 'unchanged' | 'changed' = 'unchanged'): LaneCounters => {
      const l = new LaneCounters(name, listener);
      lanes.push(l);
      return l;
    };
    const work: Promise<void>[] = [];
    mesh.proxies.forEach((p, i) => {
      const main = (host: string, path: string, extra: Partial<HttpTarget> = {}): HttpTarget => ({ address: LISTEN.main, port: () => mainPorts[i], hostHeader: host, path, ...extra });
      const extraGone = (): boolean => driver.times.listenerRemovedAt !== undefined && Date.now() > driver.times.listenerRemovedAt + 4000;
      const extra: HttpTarget = { address: LISTEN.extra, port: () => extraPorts[i] || undefined, hostHeader: HOSTS.web, path: '/x', listenerRemovedAt: () => driver.times.listenerRemovedAt };
      const on = (): boolean => running;
      work.push(
        ...runProxyLoad({ nodeId: p.nodeId, mainPort: () => mainPorts[i], securePort: () => securePorts[i] }, { scale, running: on, caPem: ca.caPem, lane: (name) => lane(name) }),
        // The scenario's own: a route and a listener it removes on purpose.
        runHttp1Lane(lane(`http/1.1 doomed ${p.nodeId}`), main(HOSTS.doomed, '/d', { routeRemovedAt: () => driver.times.routeRemovedAt }), { perSecond: scale * 10, concurrency: 1, running: on }),
        runHttp1Lane(lane(`http/1.1 added listener ${p.nodeId}`, 'changed'), extra, { perSecond: scale * 20, concurrency: 2, running: () => running && !extraGone() }),
      );
    });

    await sleep(warmUpMs);
    const counts = (): UpstreamCounts[] => http1.map((u) => ({ name: u.name, connections: u.connections(), requests: u.requests(), aborted: u.aborted() }));
    const atChanges = counts();
    log(`warm-up done (${warmUpMs} ms): changes start at ${new Date().toISOString()}`);
    const start = Date.now();
    const times: ScenarioReport['times'] = { start };
    // The added listener: each proxy binds its own port for it; find it as soon as it is there.
    const extraWatch = setInterval(() => {
      if (driver.times.listenerAddedAt === undefined || driver.times.listenerRemovedAt !== undefined) return;
      mesh.proxies.forEach((p, i) => {
        if (extraPorts[i] === 0) extraPorts[i] = listeningPort(p.pid, LISTEN.extra) ?? 0;
      });
    }, 100);
    let restart: RestartResult | string = 'not run';
    const midway = (async () => {
      await sleep(options.durationMs * 0.4);
      times.replicaKilledAt = Date.now();
      await mesh.killReplica(victim);
      log(`+${Date.now() - start} ms: ${nameOf(victim)} SIGKILLed`);
      await sleep(Math.max(0, start + options.durationMs * 0.5 - Date.now()));
      times.restartAt = Date.now();
      try {
        log(`restarting ${mesh.proxies[1]!.nodeId} at ${new Date().toISOString()}`);
        restart = await restartProxy(mesh.proxies[1]!);
        log(`+${Date.now() - start} ms: ${mesh.proxies[1]!.nodeId} restarted (${restart.how}, ${restart.ms} ms)`);
      } catch (err) {
        restart = `restart failed: ${(err as Error).message}`;
      }
    })();
    await driver.run();
    await midway;
    log(`+${Date.now() - start} ms: changes done (${driver.counts.ok}/${driver.counts.sent} accepted); one-offs at ${JSON.stringify(ONE_OFF_AT)}`);
    running = false;
    clearInterval(extraWatch);
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(work), new Promise((r) => (guard = setTimeout(r, 60_000)))]);
    clearTimeout(guard);
    log(`+${Date.now() - start} ms: load stopped`);

    let rollout: Rollout | string;
    try {
      rollout = await until(`every proxy at the final revision (${nameOf(survivor)} /v1/rollout)`, async () => {
        const now = await rolloutOf(survivor.api, mesh.token);
        return now.proxies === 3 && now.at === 3 && now.revision >= driver.counts.lastRevision ? now : undefined;
      }, 30_000);
    } catch (err) {
      rollout = `${(err as Error).message}: ${JSON.stringify(await rolloutOf(survivor.api, mesh.token).catch((e: Error) => e.message))}`;
    }
    const certificates = await Promise.all(mesh.proxies.map(async (p, i) => ({ nodeId: p.nodeId, serial: await peerSerial(securePorts[i]!, ca.caPem) })));
    const portsAfter = mesh.proxies.map((p, i) => ({
      nodeId: p.nodeId,
      before: `${mainPorts[i]}/${securePorts[i]}`,
      after: `${listeningPort(p.pid, LISTEN.main) ?? 'none'}/${listeningPort(p.pid, LISTEN.secure) ?? 'none'}`,
    }));
    const proxyExits = mesh.proxies.filter((p) => p.process.child.exitCode !== null || p.process.child.signalCode !== null).map((p) => `${p.nodeId} exited ${p.process.child.exitCode ?? p.process.child.signalCode}: ${p.process.stderr.slice(-1000)}`);
    return {
      durationMs: options.durationMs,
      lanes,
      upstreams: counts(),
      upstreamsDuringChanges: counts().map((c, i) => ({ name: c.name, connections: c.connections - atChanges[i]!.connections, requests: c.requests - atChanges[i]!.requests, aborted: c.aborted - atChanges[i]!.aborted })),
      websocketUpstream: { sessions: ws.sessions(), abnormal: ws.abnormal() },
      changes: driver.counts,
      times: { ...times, ...driver.times },
      restart,
      rollout,
      certificates,
      rotatedSerial: rotatedLeaf.serial,
      ports: portsAfter,
      extraPorts,
      proxyExits,
      upstreamCutSamples: http1.flatMap((u) => u.abortedSamples.map((x) => `${u.name}: ${x}`)),
    };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
    log('stopped');
  }
}
