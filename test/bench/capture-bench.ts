// What transparent capture costs over calling the sidecar's port explicitly, in network namespaces
// this bench creates (root): pod A holds wrk and a sidecar (`sluice proxy --workers 1`, static
// configuration, run in group 1337, pinned to core 0), pod B an nginx answering 200. The same sidecar
// serves two ways in interleaved rounds (each round in another order):
//   explicit: wrk → http://127.0.0.1:15001/ with `Host: web.local` (what an application changed for
//             the mesh does);
//   captured: wrk → http://web.local/ (B's address), redirected by `sluice init-capture`'s rules to
//             the same listener (what an unchanged application does).
// Per round: the sidecar's CPU µs per request (utime + stime from /proc), and the whole machine's
// busy CPU per request from /proc/stat (which includes the kernel's NAT work, and wrk and nginx, and
// whatever else runs on this shared host); medians over the rounds, and each round's ratio.
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/capture-bench.js [--rounds 6] [--duration 5] [--connections 50]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseWrk } from '../e2e/failover/failover-round.js';
import { createTopology, type Started } from '../e2e/capture/support/namespaces.js';
import { stopChild } from '../support/process-guard.js';
import { SLUICE_BIN } from '../support/run-sluice.js';
import { GiveUp, until } from '../support/until.js';
import { median } from './median.js';
import { writeNginxConf } from './nginx-config.js';
import { childrenOf, cpuTicks, TICK_HZ } from './process-cpu.js';
import { runBench } from './run-bench.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' } } });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const PROXY_GID = 1337;

const dir = mkdtempSync(join(tmpdir(), 'sluice-capture-bench-'));
const cleanups: Array<() => unknown> = [];

/** Busy and total jiffies of the whole machine (/proc/stat's cpu line). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3]! + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

interface Sample {
  readonly rps: number;
  readonly proxyUs: number;
  readonly machineUs: number;
  readonly failed: number;
}

async function main(): Promise<void> {
  const topo = await createTopology(2, (pod, pods) => (pod === pods[0] ? [`${pods[1]!.address} web.local`] : []));
  cleanups.push(() => topo.remove());
  const [a, b] = topo.pods as [typeof topo.pods[0], typeof topo.pods[0]];
  const started: Started[] = [];
  cleanups.push(async () => {
    for (const p of started.reverse()) await stopChild(p.child, 2000, 'SIGTERM');
  });

  const conf = writeNginxConf(dir, 'upstream', 'server { listen 8080 reuseport; location / { return 200 "ok\\n"; } }');
  const nginx = topo.start(b.ns, 'taskset', ['-c', '1', 'nginx', '-c', conf, '-p', dir, '-e', join(dir, 'upstream.err')]);
  started.push(nginx);

  const config = join(dir, 'sidecar.yaml');
  writeFileSync(config, `kind: Listener
name: outbound
address: 127.0.0.1
port: 15001
---
kind: Cluster
name: web
endpoints: [{address: ${b.address}, port: 8080}]
---
kind: Route
name: web
hosts: [web.local]
forward: {cluster: web}
`);
  const proxy = topo.start(a.ns, 'taskset', ['-c', '0', process.execPath, SLUICE_BIN, 'proxy', '--config', config, '--workers', '1', '--admin-listen', '127.0.0.1:15000'], { gid: PROXY_GID });
  started.push(proxy);
  await until('the sidecar answering', async () => {
    try {
      const out = await topo.exec(a.ns, 'curl', ['-sS', '--max-time', '2', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: web.local', 'http://127.0.0.1:15001/']);
      return out.stdout === '200' ? true : undefined;
    } catch {
      if (proxy.child.exitCode !== null) throw new GiveUp(`the sidecar exited:\n${proxy.output()}`);
      return undefined;
    }
  }, 30_000, 300);
  await topo.exec(a.ns, process.execPath, [SLUICE_BIN, 'init-capture', '--no-inbound', '--proxy-gid', String(PROXY_GID)]);
  const captured = await topo.exec(a.ns, 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://web.local/']);
  if (captured.stdout !== '200') throw new Error(`captured request answered ${captured.stdout}`);

  const pids = (): number[] => [proxy.child.pid!, ...childrenOf(proxy.child.pid!)];
  const variants = {
    explicit: ['-H', 'Host: web.local', 'http://127.0.0.1:15001/'],
    captured: ['http://web.local/'],
  } as const;
  type Name = keyof typeof variants;
  const samples: Record<Name, Sample[]> = { explicit: [], captured: [] };
  const names = Object.keys(variants) as Name[];
  // Warm-up: both paths, so the pools and the JIT are in the same state for the first round.
  for (const name of names) await topo.exec(a.ns, 'taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, '-d1s', ...variants[name]], 30_000);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const ticks0 = cpuTicks(pids());
      const m0 = machineJiffies();
      const out = await topo.exec(a.ns, 'taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${DURATION_S}s`, '--timeout', '5s', ...variants[name]], (DURATION_S + 30) * 1000);
      const m1 = machineJiffies();
      const ticks = cpuTicks(pids()) - ticks0;
      const w = parseWrk(out.stdout);
      const s: Sample = { rps: w.requests / w.seconds, proxyUs: (ticks / TICK_HZ) * 1e6 / w.requests, machineUs: ((m1.busy - m0.busy) / TICK_HZ) * 1e6 / w.requests, failed: w.failed };
      samples[name].push(s);
      console.error(`round ${round + 1} ${name}: ${Math.round(s.rps)} req/s, sidecar ${s.proxyUs.toFixed(1)} µs/req, machine ${s.machineUs.toFixed(1)} µs/req, ${s.failed} failed`);
    }
  }

  console.log(`\nsluice proxy --workers 1 (core 0, group ${PROXY_GID}) in pod A, wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s and nginx (core 1) in pods A and B; ${ROUNDS} interleaved rounds, medians; Node ${process.version}\n`);
  console.log('| path | req/s | sidecar CPU µs/req | machine CPU µs/req | failed |');
  console.log('| --- | --: | --: | --: | --: |');
  for (const name of names) {
    const s = samples[name];
    console.log(`| ${name} | ${Math.round(median(s.map((x) => x.rps)))} | ${median(s.map((x) => x.proxyUs)).toFixed(1)} | ${median(s.map((x) => x.machineUs)).toFixed(1)} | ${s.reduce((n, x) => n + x.failed, 0)} |`);
  }
  const ratio = (pick: (x: Sample) => number): string => {
    const r = samples.captured.map((x, i) => pick(x) / pick(samples.explicit[i]!));
    return `${median(r).toFixed(2)} (rounds: ${r.map((x) => x.toFixed(2)).join(', ')})`;
  };
  console.log(`\ncaptured ÷ explicit, same round: sidecar CPU ${ratio((x) => x.proxyUs)}; machine CPU ${ratio((x) => x.machineUs)}`);
}

await runBench(dir, cleanups, main);
