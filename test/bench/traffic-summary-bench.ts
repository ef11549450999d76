// The control plane's CPU per traffic summary: one replica (its own process, embedded store) and a
// simulated fleet of light proxies (fake-fleet.ts) each sending a summary every second, with 20 routes
// (a typical sidecar) or 200 (the most one summary carries). The replica's CPU over a steady period,
// less what the same fleet costs it without summaries, divided by the summaries it counted.
// Run: flock /tmp/sluice-load.lock node dist/test/bench/traffic-summary-bench.js [--proxies N] [--seconds S]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FleetMessage } from './fake-fleet.js';
import type { ReplicaCommand, ReplicaMessage } from './bench-replica.js';

const FAKE_FLEET = fileURLToPath(new URL('./fake-fleet.js', import.meta.url));
const REPLICA = fileURLToPath(new URL('./bench-replica.js', import.meta.url));
const TOKEN = 'traffic-bench-token';
const { values } = parseArgs({ options: { proxies: { type: 'string', default: '500' }, seconds: { type: 'string', default: '20' } } });
const PROXIES = Number(values.proxies);
const SECONDS = Number(values.seconds);

function message<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within 60 s`)), 60_000);
    const on = (m: T): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

async function replicaCpuMs(replica: ChildProcess): Promise<number> {
  const answer = message<Extract<ReplicaMessage, { type: 'memory' }>>(replica, 'memory');
  replica.send({ type: 'memory' } satisfies ReplicaCommand);
  return (await answer).cpuMs;
}

async function counted(apiUrl: string): Promise<number> {
  const page = await (await fetch(`${apiUrl}/metrics`)).text();
  return [...page.matchAll(/^sluice_traffic_summaries_total\{result="(?:accepted|truncated)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** The replica's CPU ms per second of the steady period, and summaries counted per second. */
async function measure(routes: number): Promise<{ cpuMsPerS: number; summariesPerS: number }> {
  const replica = fork(REPLICA, ['embedded', TOKEN], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  const fleets: ChildProcess[] = [];
  try {
    const ready = await message<Extract<ReplicaMessage, { type: 'ready' }>>(replica, 'ready');
    const fleet = fork(FAKE_FLEET, [ready.discoveryAddress, String(PROXIES), `t${routes}`, TOKEN, 'light', '20', '0', routes > 0 ? '1000' : '0', String(routes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    fleets.push(fleet);
    await message<FleetMessage>(fleet, 'started');
    await new Promise((r) => setTimeout(r, 5000)); // connected, configured, summaries flowing
    const [cpu0, n0] = [await replicaCpuMs(replica), await counted(ready.apiUrl)];
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const [cpu1, n1] = [await replicaCpuMs(replica), await counted(ready.apiUrl)];
    return { cpuMsPerS: (cpu1 - cpu0) / SECONDS, summariesPerS: (n1 - n0) / SECONDS };
  } finally {
    for (const f of fleets) f.kill('SIGKILL');
    replica.kill('SIGKILL');
  }
}

const idle = await measure(0);
console.log(`${PROXIES} proxies, no summaries: replica ${idle.cpuMsPerS.toFixed(1)} ms CPU/s`);
for (const routes of [20, 200]) {
  const r = await measure(routes);
  const perSummaryUs = ((r.cpuMsPerS - idle.cpuMsPerS) / r.summariesPerS) * 1000;
  console.log(`${PROXIES} proxies, ${routes} routes and ${routes / 4} clusters per summary: ${r.summariesPerS.toFixed(0)} summaries/s, replica ${r.cpuMsPerS.toFixed(1)} ms CPU/s, ${perSummaryUs.toFixed(1)} µs CPU per summary`);
}
process.exit(0);
