// The dashboard with a large fleet: N simulated proxies (fake-fleet.ts, light: decode and ACK) on one
// control plane (embedded store). Measures, in Debian's headless chromium, how long the Proxies page
// takes to show all N (a fresh load, and a switch from another page with the feed already holding
// them) and the frame times while its table is scrolled; then the control plane's CPU for the live
// feed with 0 and with PAGES open pages (GET /ui/events streams read to the end), idle and while a
// route changes every 2 s (each change: N proxies ACK, N upserts in the feed).
// Run: npm run build && flock /tmp/sluice-load.lock node dist/test/bench/dashboard-bench.js [--proxies 10000] [--pages 20] [--seconds 15] [--page-only] [--profile]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADMIN } from '../support/role-tokens.js';
import { until } from '../support/until.js';
import { DEFAULT_FEED_LINGER_MS } from '../../control-plane/src/ui/live-feed.js';
import { DashboardMesh } from '../ui/support/dashboard-mesh.js';
import { openPage, signIn } from '../ui/support/dashboard-page.js';
import { HeadlessChromium, watchedPage } from '../ui/support/headless-chromium.js';
import type { FleetMessage } from './fake-fleet.js';
import { cpuTicks, TICK_HZ } from './process-cpu.js';
import { startProfile, stopProfile } from './cpu-profile-summary.js';
import { clickUntilShown, describePhases, loadPhases, proxiesEvents, recordLoadPhases } from './load-phases.js';

const { values } = parseArgs({ options: { proxies: { type: 'string', default: '10000' }, pages: { type: 'string', default: '20' }, seconds: { type: 'string', default: '15' }, 'page-only': { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
const N = Number(values.proxies);
const PAGES = Number(values.pages);
const SECONDS = Number(values.seconds);
const FAKE_FLEET = fileURLToPath(new URL('./fake-fleet.js', import.meta.url));

const quantile = (xs: readonly number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

function startFleet(mesh: DashboardMesh, n: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  const per = Math.ceil(n / 2);
  const started: Array<Promise<void>> = [];
  for (let p = 0, offset = 0; offset < n; p++, offset += per) {
    const child = fork(FAKE_FLEET, [mesh.discovery, String(Math.min(per, n - offset)), `bench-${p}-`, mesh.proxyToken, 'light', '8', String(offset)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    started.push(new Promise((resolve) => child.on('message', (m: FleetMessage) => m.type === 'started' && resolve())));
  }
  return Promise.all(started).then(() => children);
}

/** Opens `count` live feeds as pages do and reads them until `stop` is called; answers the bytes read. */
function openFeeds(api: string, count: number): { stop: () => Promise<number> } {
  const abort = new AbortController();
  let bytes = 0;
  const reads = Array.from({ length: count }, async () => {
    try {
      const res = await fetch(`${api}/ui/events`, { headers: { authorization: `Bearer ${ADMIN.token}` }, signal: abort.signal });
      for await (const chunk of res.body!) bytes += (chunk as Uint8Array).byteLength;
    } catch {
      // aborted at the end of the phase
    }
  });
  return { stop: async () => { abort.abort(); await Promise.all(reads); return bytes; } };
}

/** The control plane's CPU share of one core over SECONDS, with `pages` feeds open, changing a route every 2 s if `churn`. */
async function feedCost(mesh: DashboardMesh, pages: number, churn: boolean): Promise<{ cpu: number; mbPerPage: number }> {
  const feeds = openFeeds(mesh.api, pages);
  // Past the reset every page receives on connect; with no page, past the ticker's linger after the
  // previous phase's pages closed (DEFAULT_FEED_LINGER_MS), so that 0 pages means no feed at all.
  await new Promise((r) => setTimeout(r, pages === 0 ? DEFAULT_FEED_LINGER_MS + 2000 : 3000));
  const pid = mesh.cp.child.pid!;
  const before = cpuTicks([pid]);
  const started = Date.now();
  let n = 0;
  while (Date.now() - started < SECONDS * 1000) {
    if (churn) {
      const yaml = `kind: Route\nname: churn\nhosts: ["churn.local"]\nrespond: {status: ${200 + (n++ % 50)}}\n`;
      // One retry: a kept-alive connection the server closed meanwhile resets (ECONNRESET) once.
      await mesh.call('POST', '/v1/apply', yaml).catch(() => mesh.call('POST', '/v1/apply', yaml));
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  const cpu = (cpuTicks([pid]) - before) / TICK_HZ / ((Date.now() - started) / 1000);
  const bytes = await feeds.stop();
  return { cpu, mbPerPage: pages === 0 ? 0 : bytes / pages / 2 ** 20 };
}

const mesh = await DashboardMesh.start();
mesh.cp.discardOutput();
let fleet: ChildProcess[] = [];
const chromium = await HeadlessChromium.start();
try {
  const t0 = Date.now();
  fleet = await startFleet(mesh, N);
  await until(`${N} proxies synced`, async () => (await mesh.call<{ total: number }>('GET', '/v1/proxies?limit=1&state=SYNCED')).total === N, 600_000, 1000);
  console.log(`${N} simulated proxies connected and synced in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const w = await watchedPage(chromium.browser, mesh.api);
  await recordLoadPhases(w.page);
  await signIn(w.page, ADMIN.token);
  const count = `${N} of ${N} proxies`;
  // --profile: the page's CPU profile of the fresh load (cpu-profile-summary.ts).
  const profiler = values.profile ? await w.context.newCDPSession(w.page) : undefined;
  if (profiler !== undefined) await startProfile(profiler);
  await w.page.goto('/ui/proxies');
  await w.page.getByRole('status').filter({ hasText: count }).waitFor({ timeout: 60_000 });
  if (profiler !== undefined) console.log(`fresh load, self time by function:\n${await stopProfile(profiler)}`);
  // Since the navigation started, by the page's own clock (load-phases.ts).
  const phases = await loadPhases(w.page, count);
  const cold = Math.round(phases.shown);
  console.log(`fresh load: ${describePhases(phases)}`);
  await openPage(w.page, 'Overview');
  const warm = Math.round(await clickUntilShown(w.page, 'Proxies', count));
  // 240 frames, 100 px each (3 rows a frame, 6,000 px/s: a fast flick): the frame times the browser
  // achieves, and the main thread's script and layout time per frame (what the page itself costs;
  // the rest is chromium's software rasterizer sharing the 2 cores).
  const cdp = await w.context.newCDPSession(w.page);
  await cdp.send('Performance.enable');
  const metrics = async (): Promise<Record<string, number>> =>
    Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
  const m0 = await metrics();
  const eventsBefore = await proxiesEvents(w.page);
  const scroll = (await w.page.evaluate(`new Promise((resolve) => {
    const box = document.querySelector('.table-scroll');
    const frames = [];
    let last = performance.now();
    let rows = 0;
    const step = (t) => {
      frames.push(t - last);
      last = t;
      rows = Math.max(rows, box.querySelectorAll('tbody tr').length);
      box.scrollTop += 100;
      if (frames.length < 240) requestAnimationFrame(step); else resolve({ frames: frames.slice(1), rows, end: box.scrollTop });
    };
    requestAnimationFrame(step);
  })`)) as { frames: number[]; rows: number; end: number };
  const m1 = await metrics();
  console.log(`scroll: ${(await proxiesEvents(w.page)) - eventsBefore} proxies events during the 240 frames; slowest frames ${[...scroll.frames].sort((a, b) => b - a).slice(0, 8).map((f) => f.toFixed(0)).join(', ')} ms`);
  const perFrameMs = (name: string): string => (((m1[name] ?? 0) - (m0[name] ?? 0)) * 1000 / scroll.frames.length).toFixed(1);
  await w.context.close();
  console.log('\n| proxies | page shown, fresh load (ms) | page shown, from another page (ms) | scroll frame p50 (ms) | p95 (ms) | script per frame (ms) | layout per frame (ms) | rows in the DOM |');
  console.log('| --: | --: | --: | --: | --: | --: | --: | --: |');
  console.log(`| ${N} | ${cold} | ${warm} | ${quantile(scroll.frames, 0.5).toFixed(1)} | ${quantile(scroll.frames, 0.95).toFixed(1)} | ${perFrameMs('ScriptDuration')} | ${perFrameMs('LayoutDuration')} | ${scroll.rows} |`);

  console.log(`\n| live feed, ${N} proxies | open pages | control-plane CPU (share of a core) | feed MiB per page |`);
  console.log('| --- | --: | --: | --: |');
  // --page-only: the page's figures alone, for working on the page.
  for (const churn of values['page-only'] ? [] : [false, true]) {
    for (const pages of [0, PAGES]) {
      const r = await feedCost(mesh, pages, churn);
      console.log(`| ${churn ? 'a route changed every 2 s' : 'idle'} | ${pages} | ${(r.cpu * 100).toFixed(1)}% | ${r.mbPerPage.toFixed(2)} |`);
    }
  }
} finally {
  for (const c of fleet) c.kill('SIGKILL');
  await chromium.stop();
  await mesh.stop();
}
