// What the dashboard's live feed costs the control plane: CPU per tick with a fleet of 10,000 proxy
// records (10 of them changing each tick, as ACKs trickle in, or all of them, as after an apply), for
// 1 and for 20 open pages. The pages are sinks that accept every byte at once, so the figure is the
// feed's own work (computing, encoding, writing) and not a browser's. Rounds interleave the page
// counts; medians.
//   node dist/test/bench/ui-feed-bench.js [--proxies 10000] [--ticks 40] [--rounds 5]
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ProxyStatus } from '../../control-plane/src/discovery/proxy-status.js';
import { LiveFeed } from '../../control-plane/src/ui/live-feed.js';
import { median } from './median.js';

const { values } = parseArgs({ options: { proxies: { type: 'string', default: '10000' }, ticks: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' } } });
const N = Number(values.proxies);
const TICKS = Number(values.ticks);
const ROUNDS = Number(values.rounds);
const TICK_MS = 50;

function record(i: number, revision: number, ackAt: number): ProxyStatus {
  return {
    nodeId: `node-${String(i).padStart(5, '0')}`, service: `svc-${i % 50}`, zone: `zone-${i % 3}`, namespace: 'default', version: '1.0.0',
    address: `10.0.${i >> 8}.${i & 255}:40000`, adminAddress: '', replica: 'replica-a', connectedSince: '2026-01-01T00:00:00.000Z',
    ackedRevision: revision, lastAckAt: new Date(ackAt).toISOString(), types: { Cluster: revision, Endpoints: revision, Listener: revision, Route: revision }, rejected: [],
  };
}

/** CPU ms per tick of a feed with `pages` open pages, while `change` alters the fleet before each tick. */
async function run(pages: number, change: 'few' | 'all'): Promise<{ cpuMsPerTick: number; bytesPerTick: number }> {
  let revision = 1;
  let proxies = Array.from({ length: N }, (_, i) => record(i, revision, 0));
  // Two whole fleets made beforehand, alternated for 'all', so the bench's own record building is not
  // counted as the feed's CPU: every record differs from the previous tick's.
  const fleets = [Array.from({ length: N }, (_, i) => record(i, 2, 1)), Array.from({ length: N }, (_, i) => record(i, 3, 2))];
  let computed = 0;
  let bytes = 0;
  const feed = new LiveFeed({
    revision: () => revision,
    proxies: () => {
      computed++;
      if (change === 'all') {
        proxies = fleets[computed % 2]!;
        revision = proxies[0]!.ackedRevision;
      } else {
        for (let k = 0; k < 10; k++) {
          const i = (computed * 10 + k) % N;
          proxies[i] = record(i, revision, computed);
        }
      }
      return proxies;
    },
    endpoints: () => ({ total: 0, unhealthy: 0, ejected: 0 }),
    traffic: () => null,
  }, { tickMs: TICK_MS, maxSubscribers: 100 });
  const sinks: Writable[] = [];
  for (let p = 0; p < pages; p++) {
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { bytes += chunk.length; done(); } });
    sinks.push(sink);
    feed.admit().attach(sink as unknown as ServerResponse);
  }
  // Skip the connect (the first computation and every page's reset).
  await new Promise((r) => setTimeout(r, TICK_MS * 2));
  const fromTicks = computed;
  const fromBytes = bytes;
  const cpu = process.cpuUsage();
  while (computed - fromTicks < TICKS) await new Promise((r) => setTimeout(r, TICK_MS));
  const used = process.cpuUsage(cpu);
  const ticks = computed - fromTicks;
  feed.close();
  for (const s of sinks) s.destroy();
  return { cpuMsPerTick: (used.user + used.system) / 1000 / ticks, bytesPerTick: (bytes - fromBytes) / ticks / pages };
}

const results = new Map<string, { cpu: number[]; bytes: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const change of ['few', 'all'] as const) {
    for (const pages of round % 2 === 0 ? [1, 20] : [20, 1]) {
      const r = await run(pages, change);
      const key = `${change}|${pages}`;
      const entry = results.get(key) ?? { cpu: [], bytes: [] };
      entry.cpu.push(r.cpuMsPerTick);
      entry.bytes.push(r.bytesPerTick);
      results.set(key, entry);
    }
  }
}
console.log(`live feed, ${N} proxies, ${TICKS} ticks per run, medians of ${ROUNDS} rounds`);
console.log('| fleet change per tick | pages | CPU ms per tick | ÷ 1 page | bytes per page per tick |');
console.log('| --- | --: | --: | --: | --: |');
for (const change of ['few', 'all'] as const) {
  const one = median(results.get(`${change}|1`)!.cpu);
  for (const pages of [1, 20]) {
    const r = results.get(`${change}|${pages}`)!;
    const cpu = median(r.cpu);
    console.log(`| ${change === 'few' ? '10 proxies' : `all ${N} (new revision)`} | ${pages} | ${cpu.toFixed(2)} | ${(cpu / one).toFixed(2)} | ${Math.round(median(r.bytes))} |`);
  }
}
