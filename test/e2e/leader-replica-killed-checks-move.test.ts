// Two control-plane replica processes on one etcd, a cluster with a health check
// over a fake upstream, no proxies. The elected replica's transitions appear in etcd (upstream killed →
// UNHEALTHY); SIGKILL that replica → the other takes over within the lease TTL + margin, and the next
// transition (upstream back → HEALTHY) is written by the new leader.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

const TOKEN = 'leader-e2e-token';
const LEADER_TTL_SECONDS = 3;
const ELECTION_KEY = '/sluice/leader/health-checker';

interface Replica {
  readonly proc: SluiceProcess;
  readonly url: string;
}

let etcd: EtcdCluster;
const replicas: Replica[] = [];
let upstream: Server | undefined;

async function startReplica(): Promise<Replica> {
  const proc = new SluiceProcess([
    'control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0',
    '--leader-lease-ttl-seconds', String(LEADER_TTL_SECONDS),
  ], { SLUICE_TOKEN: TOKEN });
  const line = await proc.waitFor(/^.*"msg":"control plane ready".*$/m, 20_000);
  return { proc, url: JSON.parse(line[0]).api as string };
}

/** The upstream answers /healthz with 200 while it runs; "killed" = its port refuses connections. */
async function startUpstream(port = 0): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  upstream = server;
  return (server.address() as AddressInfo).port;
}

async function killUpstream(): Promise<void> {
  const server = upstream;
  upstream = undefined;
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function leaderId(): Promise<string | undefined> {
  const out = (await etcdctl(etcd.endpoints, 'get', ELECTION_KEY, '--print-value-only')).trim();
  return out === '' ? undefined : out;
}

async function checkerEntry(port: number): Promise<{ health: string; replica: string } | undefined> {
  const out = (await etcdctl(etcd.endpoints, 'get', `/sluice/health/web/127.0.0.1:${port}/checker`, '--print-value-only')).trim();
  return out === '' ? undefined : (JSON.parse(out) as { health: string; replica: string });
}

/** Which replica's log says it won with `id`. */
function replicaWithId(id: string): Replica | undefined {
  return replicas.find((r) => r.proc.stdout.split('\n').some((l) => l.includes('elected leader of the health checks') && l.includes(`"id":"${id}"`)));
}


before(async () => {
  etcd = await EtcdCluster.start();
  replicas.push(await startReplica(), await startReplica());
});

after(async () => {
  for (const r of replicas) await r.proc.stop().catch(() => undefined);
  await killUpstream();
  await etcd?.stop();
});

test('the leader replica is SIGKILLed: the other takes over the checks within the lease TTL', async (t: TestContext) => {
  const port = await startUpstream();
  const res = await fetch(`${replicas[0]!.url}/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resources: [{
      kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port }],
      healthCheck: { http: { path: '/healthz' }, intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 2, healthyThreshold: 2 },
    }] }),
  });
  assert.equal(res.status, 200, await res.text());

  const first = await until('a leader', leaderId, 15_000);
  // The winner's log line may reach us a little after its key reached etcd (a loaded machine).
  const leader = await until(`the replica that logged winning as ${first}`, async () => replicaWithId(first), 5000).catch(() => undefined);
  assert.ok(leader !== undefined, `the key names ${first}, a replica that logged winning`);
  const other = replicas.find((r) => r !== leader)!;
  const healthy = await until('HEALTHY from the leader', async () => ((await checkerEntry(port))?.health === 'HEALTHY' ? checkerEntry(port) : undefined), 10_000);
  assert.equal(healthy!.replica, first);

  await killUpstream();
  const unhealthy = await until('UNHEALTHY from the leader', async () => ((await checkerEntry(port))?.health === 'UNHEALTHY' ? checkerEntry(port) : undefined), 10_000);
  assert.equal(unhealthy!.replica, first, 'the leader wrote the transition');

  const killedAt = Date.now();
  await stopChild(leader.proc.child, 0, 'SIGKILL');
  const second = await until('another leader', async () => {
    const id = await leaderId();
    return id !== undefined && id !== first ? id : undefined;
  }, (LEADER_TTL_SECONDS + 10) * 1000);
  const takeoverMs = Date.now() - killedAt;
  t.diagnostic(`takeover ${takeoverMs} ms after SIGKILL (lease TTL ${LEADER_TTL_SECONDS * 1000} ms)`);
  console.log(`leader takeover: ${takeoverMs} ms after SIGKILL (lease TTL ${LEADER_TTL_SECONDS} s)`);
  assert.equal(await until(`the replica that logged winning as ${second}`, async () => replicaWithId(second), 5000).catch(() => undefined), other, 'the surviving replica leads');
  assert.ok(takeoverMs < LEADER_TTL_SECONDS * 1000 + 3000, `took over in ${takeoverMs} ms, within the TTL + 3 s`);

  // The new leader starts from the old leader's verdict and writes it once under its own lease (the old
  // entry expires with the dead replica's lease); the upstream still down changes nothing else.
  const adopted = await until('the verdict under the new leader', async () => {
    const e = await checkerEntry(port);
    return e?.replica === second ? e : undefined;
  }, (LEADER_TTL_SECONDS + 10) * 1000);
  assert.equal(adopted!.health, 'UNHEALTHY', 'the new leader keeps the verdict it found');

  await startUpstream(port);
  const back = await until('HEALTHY from the new leader', async () => ((await checkerEntry(port))?.health === 'HEALTHY' ? checkerEntry(port) : undefined), 10_000);
  assert.equal(back!.replica, second, 'the next transition is written by the new leader');
  const metrics = await (await fetch(`${other.url}/metrics`)).text();
  assert.match(metrics, /^sluice_health_checker_leader 1$/m);
  assert.match(metrics, /^sluice_health_checker_elections_won_total 1$/m);
  assert.match(metrics, /^sluice_health_checker_checks_total\{result="healthy"\} [1-9]/m);
});
