// The whole health loop with real processes: one etcd, one `sluice control-plane --etcd`,
// three `sluice proxy --control-plane ... --workers 2`, a Cluster with an active HTTP check (200 ms,
// thresholds 2/2) over two fake upstreams. An `etcdctl watch --prefix /sluice/health/` started by the
// test counts every put. One upstream killed: every proxy's own check marks it UNHEALTHY (/clusters),
// the control plane writes the transition (GET /v1/health, etcd) and the effective UNHEALTHY reaches
// every proxy in its pushed Endpoints (/config_dump); brought back: HEALTHY the same way. The puts equal
// the control plane's verdict changes (sluice_health_transitions_total) and the number expected, while
// the proxies ran hundreds of probes: no write per probe. (The elected control plane checks endpoints
// no proxy checks yet; when its first verdict lands before the proxies', its put is listed apart.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { echoHandler, startUpstream, type FakeUpstream } from '../data-plane/helpers/fake-upstream.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctlWatch } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until as untilAfter } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { cleanupStack } from '../support/cleanup-stack.js';

const INTERVAL_MS = 200;
const TIMEOUT_MS = 200;
const THRESHOLD = 2;
const PROXIES = 3;
const CLUSTER = 'web';
/** Loaded 2-core machine, 6 proxy processes + control plane + etcd: generous. Figures are printed. */
const WAIT_MS = 20_000;
const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => untilAfter(what, probe, WAIT_MS);

interface EndpointView {
  readonly port: number;
  readonly health?: string;
  readonly activeHealth?: string;
}

interface WatchEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly key: string;
  readonly value: string;
}


/** `etcdctl watch --prefix PREFIX`: every event as it arrives (PUT/DELETE, key, value lines). */
function watchPrefix(endpoints: readonly string[], prefix: string): { events: () => WatchEvent[]; puts: () => WatchEvent[]; stop: () => Promise<void> } {
  const watch = etcdctlWatch(endpoints, prefix);
  const events = (): WatchEvent[] => {
    const lines = watch.output().split('\n');
    const found: WatchEvent[] = [];
    for (let i = 0; i < lines.length; i++) {
      const type = lines[i];
      if (type !== 'PUT' && type !== 'DELETE') continue;
      found.push({ type, key: lines[i + 1] ?? '', value: type === 'PUT' ? lines[i + 2] ?? '' : '' });
    }
    return found;
  };
  return { events, puts: () => events().filter((e) => e.type === 'PUT'), stop: watch.stop };
}

/** Sum of a Prometheus counter's series whose label text matches `labels`. */
function sumMetric(text: string, name: string, labels: RegExp = /.*/): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) if (labels.test(m[1] ?? '')) sum += Number(m[2]);
  return sum;
}

test('3 real proxies × active checks: one etcd put per verdict change, the effective health pushed back to every proxy', { timeout: 150_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-health-loop-');
  // node:test runs after-hooks in the order they were added: clean up in reverse, etcd last.
  const cleanup = cleanupStack(t);
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());

  // Two upstreams; `b` is killed and brought back on its port.
  const a = await startUpstream();
  cleanup(() => a.close());
  let b: FakeUpstream | undefined = await startUpstream();
  const bPort = b.port;
  let bAgain: Server | undefined;
  cleanup(async () => {
    await b?.close();
    bAgain?.closeAllConnections();
    bAgain?.close();
  });

  const [apiPort, discoveryPort] = [await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = { authorization: `Bearer ${token}` };
  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile]);
  cleanup(() => cp.stop());
  await until('the control plane', async () => {
    if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited (${cp.child.exitCode}):\n${cp.stderr}\n${cp.stdout.slice(-2000)}`);
    return (await fetch(`${api}/readyz`)).status === 200 ? true : undefined;
  });

  // Every put under /sluice/health/ from before anything is checked (etcdctl prints nothing until an
  // event, so it gets a moment to open the watch).
  const watch = watchPrefix(etcd.endpoints, '/sluice/health/');
  cleanup(() => watch.stop());
  await new Promise((r) => setTimeout(r, 1000));

  const admins: number[] = [];
  const proxies: SluiceProcess[] = [];
  for (let i = 0; i < PROXIES; i++) {
    const admin = await freePort();
    const p = new SluiceProcess([
      'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', `loop-${i}`, '--token-file', tokenFile,
      '--workers', '2', '--admin-listen', `127.0.0.1:${admin}`, '--state-dir', join(dir, `state-${i}`),
    ]);
    cleanup(() => stopChild(p.child, 3000));
    admins.push(admin);
    proxies.push(p);
  }
  for (const p of proxies) await p.waitFor(/sluice proxy: ready/, WAIT_MS);
  await until(`${PROXIES} proxies connected`, async () => {
    const m = await (await fetch(`${api}/metrics`)).text();
    return sumMetric(m, 'sluice_discovery_connected_proxies') === PROXIES ? true : undefined;
  });

  const apply = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], {
    stdin: `kind: Cluster
name: ${CLUSTER}
endpoints: [{address: 127.0.0.1, port: ${a.port}}, {address: 127.0.0.1, port: ${bPort}}]
healthCheck:
  http: {path: /healthz}
  intervalMs: ${INTERVAL_MS}
  timeoutMs: ${TIMEOUT_MS}
  unhealthyThreshold: ${THRESHOLD}
  healthyThreshold: ${THRESHOLD}
`,
  });
  assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);

  const clusters = async (admin: number): Promise<EndpointView[]> => {
    const body = (await (await fetch(`http://127.0.0.1:${admin}/clusters`)).json()) as { clusters: Array<{ name: string; endpoints: EndpointView[] }> };
    return body.clusters.find((c) => c.name === CLUSTER)?.endpoints ?? [];
  };
  const pushed = async (admin: number): Promise<EndpointView[]> => {
    const dump = (await (await fetch(`http://127.0.0.1:${admin}/config_dump`)).json()) as { resources: Array<{ kind: string; name: string; endpoints?: EndpointView[] }> };
    return dump.resources.find((r) => r.kind === 'Endpoints' && r.name === CLUSTER)?.endpoints ?? [];
  };
  const apiHealth = async (): Promise<Array<{ cluster: string; port: number; health: string; verdicts: Array<{ source: string; health: string }> }>> =>
    ((await (await fetch(`${api}/v1/health`, { headers: auth })).json()) as { endpoints: never[] }).endpoints;
  const cpMetrics = async (): Promise<string> => (await fetch(`${api}/metrics`)).text();
  const probesRun = async (): Promise<number[]> =>
    Promise.all(admins.map(async (admin) => sumMetric(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text(), 'sluice_proxy_health_checks_total', new RegExp(`cluster="${CLUSTER}"`))));

  const describe = async (port: number): Promise<string> => JSON.stringify((await apiHealth().catch(() => [])).find((e) => e.port === port) ?? null);
  /** Waits until every layer of the loop shows `port` as `health`; returns when each layer got there. */
  const loopShows = async (port: number, health: string, from: number): Promise<string> => {
    const own = await Promise.all(admins.map((admin) => until(`proxy :${admin} /clusters: :${port} activeHealth ${health}`, async () => ((await clusters(admin)).find((e) => e.port === port)?.activeHealth === health ? Date.now() - from : undefined))));
    let cpAt: number;
    try {
      cpAt = await until(`GET /v1/health: :${port} ${health}`, async () => ((await apiHealth()).find((e) => e.cluster === CLUSTER && e.port === port)?.health === health ? Date.now() - from : undefined));
    } catch (err) {
      // A `checker` verdict beside the replica's is the control plane's own check of an endpoint
      // that proxies check: it votes against the proxies' majority (README "Control-plane health checks").
      throw new Error(`${(err as Error).message}; every proxy's own check says ${health}; GET /v1/health has ${await describe(port)}`);
    }
    const back = await Promise.all(admins.map((admin) => until(`proxy :${admin} pushed Endpoints: :${port} ${health}`, async () => ((await pushed(admin)).find((e) => e.port === port)?.health === health ? Date.now() - from : undefined))));
    return `own checks ${own.join('/')} ms, control plane ${cpAt} ms, pushed back ${back.join('/')} ms`;
  };

  const isChecker = (e: WatchEvent): boolean => e.key.endsWith('/checker');
  const replicaPuts = (): WatchEvent[] => watch.puts().filter((e) => !isChecker(e));
  const listing = (): string => watch.events().map((e) => `${e.type} ${e.key} ${e.value}`).join('\n');
  let expectedPuts = 0;
  /** The replica's puts reach `expectedPuts`, then nothing more is written while probes go on. */
  const settled = async (what: string): Promise<void> => {
    await until(`${expectedPuts} puts (${what})`, async () => (replicaPuts().length >= expectedPuts ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const before = watch.events().length;
    // Ten more probe rounds per endpoint and proxy: a write per probe or per report would show up.
    await new Promise((r) => setTimeout(r, 10 * INTERVAL_MS));
    assert.equal(replicaPuts().length, expectedPuts, `the replica's puts under /sluice/health/ after ${what}:\n${listing()}`);
    assert.equal(watch.events().length, before, `writes while nothing changed, after ${what}:\n${listing()}`);
  };

  // 1. Both endpoints decided HEALTHY by every proxy: the first verdict on each is one put.
  const appliedAt = Date.now();
  const upA = await loopShows(a.port, 'HEALTHY', appliedAt);
  const upB = await loopShows(bPort, 'HEALTHY', appliedAt);
  t.diagnostic(`apply → HEALTHY: a: ${upA}; b: ${upB}`);
  expectedPuts += 2;
  await settled('both endpoints first checked');
  const startup = watch.events();
  const transitionsBefore = sumMetric(await cpMetrics(), 'sluice_health_transitions_total');
  const probesBefore = (await probesRun()).reduce((x, y) => x + y, 0);

  // 2. b killed: every proxy's check, then the control plane, then every proxy's pushed Endpoints.
  await b.close();
  b = undefined;
  const killedAt = Date.now();
  const downB = await loopShows(bPort, 'UNHEALTHY', killedAt);
  t.diagnostic(`b killed → UNHEALTHY: ${downB} (detection bound ${INTERVAL_MS * THRESHOLD + TIMEOUT_MS} ms)`);
  for (const admin of admins) assert.equal((await pushed(admin)).find((e) => e.port === a.port)?.health, 'HEALTHY', `a stays HEALTHY at :${admin}`);
  expectedPuts++;
  await settled('b killed');
  const entry = JSON.parse(watch.puts().at(-1)!.value) as { cluster: string; port: number; health: string };
  assert.deepEqual([entry.cluster, entry.port, entry.health], [CLUSTER, bPort, 'UNHEALTHY'], 'the last put is b UNHEALTHY');

  // 3. b back on its port: HEALTHY through the same loop.
  bAgain = createServer(echoHandler);
  await new Promise<void>((resolve) => bAgain!.listen(bPort, '127.0.0.1', resolve));
  const backAt = Date.now();
  const upAgain = await loopShows(bPort, 'HEALTHY', backAt);
  t.diagnostic(`b back → HEALTHY: ${upAgain} (bound ${INTERVAL_MS * THRESHOLD} ms)`);
  expectedPuts++;
  await settled('b back');

  // 4. The count. The down/up cycle: exactly 2 puts, both the replica's, = 2 verdict changes. From
  //    the start: the replica's puts = its verdict changes = 2 first verdicts + down + up, and every
  //    put is counted by the control plane; the proxies probed far more often.
  const events = watch.events();
  const cycle = events.slice(startup.length);
  const metrics = await cpMetrics();
  const transitions = sumMetric(metrics, 'sluice_health_transitions_total');
  const writesOk = sumMetric(metrics, 'sluice_health_writes_total', /kind="health",op="put",result="ok"/);
  const probes = await probesRun();
  const totalProbes = probes.reduce((x, y) => x + y, 0);
  const puts = watch.puts();
  const checkerAtStart = startup.filter(isChecker);
  t.diagnostic(`down/up cycle: ${cycle.length} etcd writes under /sluice/health/, ${transitions - transitionsBefore} control-plane transitions, ${totalProbes - probesBefore} probes by the proxies`);
  t.diagnostic(`whole run: ${puts.length} puts (${replicaPuts().length} by the replica, expected ${expectedPuts}; ${puts.length - replicaPuts().length} by its checker), ${events.length - puts.length} deletes; sluice_health_transitions_total ${transitions}; health puts counted by the control plane ${writesOk}`);
  t.diagnostic(`probes run by the proxies: ${probes.join(' + ')} = ${totalProbes} (${(totalProbes / puts.length).toFixed(0)} probes per put)`);
  if (checkerAtStart.length > 0) t.diagnostic(`the control plane's checker wrote before the proxies' first verdicts landed: ${checkerAtStart.map((e) => `${e.type} ${e.key}`).join(', ')}`);
  assert.equal(cycle.length, 2, `the cycle's writes:\n${listing()}`);
  for (const e of cycle) {
    assert.equal(e.type, 'PUT', listing());
    assert.match(e.key, new RegExp(`^/sluice/health/${CLUSTER}/127\\.0\\.0\\.1:${bPort}/`), listing());
    assert.ok(!isChecker(e), `the cycle is written by the replica for its proxies:\n${listing()}`);
  }
  assert.equal(transitions - transitionsBefore, cycle.length, 'cycle: puts = verdict changes');
  assert.equal(replicaPuts().length, expectedPuts, listing());
  assert.equal(transitions, replicaPuts().length, metrics.split('\n').filter((l) => l.startsWith('sluice_health')).join('\n'));
  assert.equal(writesOk, puts.length, 'every put in etcd is one the control plane counted');
  assert.equal(new Set(replicaPuts().map((e) => e.key)).size, 2, 'one key per endpoint for the replica');
  assert.ok(totalProbes - probesBefore >= 20 * cycle.length, `only ${totalProbes - probesBefore} probes for ${cycle.length} puts: the comparison says nothing`);
  for (const [i, n] of probes.entries()) assert.ok(n > 0, `proxy ${i} ran no probe`);
});
