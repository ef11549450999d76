// GET /debug/profile and /debug/heap on a `--workers 2` proxy serving load: the profile comes from a
// worker (not the primary, which serves no traffic), is a .cpuprofile whose samples include the
// proxy's request handling, and every request of the load is answered while it runs. A second
// /debug request meanwhile gets 409; a heap snapshot from the other worker parses as a
// .heapsnapshot; a worker that never answers gets 504 once the profile's time and its margin are
// over, and the file it writes when it wakes up is removed. The admin token file is read at each request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';

const TOKEN = 'profile-admin-token-0123456789';

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string }; readonly children?: readonly number[] }>;
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

function debug(adminPort: number, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${adminPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
}

/** Requests from `connections` keep-alive loops until `stop()`; resolves with every status seen. */
function load(port: number, connections: number): { stop: () => Promise<Map<number | string, number>> } {
  const agent = new Agent({ connections });
  const statuses = new Map<number | string, number>();
  let running = true;
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      const status = await request(`http://127.0.0.1:${port}/load`, { dispatcher: agent }).then(
        async (res) => (await res.body.text(), res.statusCode),
        (err: Error) => err.message,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return statuses;
    },
  };
}

/** How many samples have a frame of data-plane/src/proxy/ on their stack, and the functions seen there. */
function proxySamples(profile: CpuProfile): { count: number; functions: Set<string> } {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functions = new Set<string>();
  let count = 0;
  for (const sample of profile.samples) {
    let inProxy = false;
    for (let at: number | undefined = sample; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.url.includes('data-plane/src/proxy/')) {
        inProxy = true;
        functions.add(frame.functionName);
      }
    }
    if (inProxy) count++;
  }
  return { count, functions };
}

test('a worker profiled under load, a second /debug request refused, a heap snapshot, a silent worker', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-debug-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The proxy's own temporary folder: what it leaves behind there is visible.
  const proxyTmp = join(dir, 'tmp');
  mkdirSync(proxyTmp);
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'config.yaml'), yamlDocs(clusterYaml('app', [upstream.port]), catchAllRouteYaml('all', 'app'), listenerYaml('main', listenPort)));
  writeFileSync(join(dir, 'admin-token'), `${TOKEN}\n`, { mode: 0o600 });
  const proxy = new SluiceProcess(['proxy', '--config', join(dir, 'config.yaml'), '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--admin-token-file', join(dir, 'admin-token')], { TMPDIR: proxyTmp });
  let stoppedWorker: number | undefined;
  t.after(async () => {
    // A worker left stopped would outlive its primary.
    if (stoppedWorker !== undefined) process.kill(stoppedWorker, 'SIGCONT');
    await proxy.stop();
  });
  // A loaded machine may take a while to start three processes.
  await proxy.waitFor(/sluice proxy: ready/, 30_000);

  // A 2 s profile of the default process (worker 0) while 8 connections send requests.
  const traffic = load(listenPort, 8);
  await new Promise((r) => setTimeout(r, 300));
  const profiling = debug(adminPort, '/debug/profile?seconds=2');
  await new Promise((r) => setTimeout(r, 300));
  const second = await debug(adminPort, '/debug/heap?worker=1');
  assert.equal(second.status, 409);
  assert.match(((await second.json()) as { error: string }).error, /^a 2 s CPU profile started \d+ s ago is still running: one \/debug request at a time/);
  const res = await profiling;
  const statuses = await traffic.stop();
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/json');
  const workerPid = Number(res.headers.get('x-sluice-pid'));
  assert.ok(workerPid > 0 && workerPid !== proxy.child.pid, `the profile came from pid ${workerPid}, the primary is ${proxy.child.pid}`);
  const profile = (await res.json()) as CpuProfile;
  assert.ok(profile.nodes.length > 0 && profile.samples.length > 0, 'a profile has nodes and samples');
  assert.ok(profile.endTime - profile.startTime >= 1_900_000, `a 2 s profile covered ${profile.endTime - profile.startTime} µs`);
  const inProxy = proxySamples(profile);
  assert.ok(inProxy.count > 0, `no sample in data-plane/src/proxy/ among ${profile.samples.length}`);
  // Traffic went on while the worker was profiled: every request answered 200.
  assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
  assert.ok(statuses.get(200)! >= 50, `only ${statuses.get(200)} requests answered during the profile`);
  console.log(`# ${statuses.get(200)} requests during the profile; ${inProxy.count} of ${profile.samples.length} samples in data-plane/src/proxy (${[...inProxy.functions].slice(0, 6).join(', ')})`);

  // A heap snapshot of the other worker.
  const heap = await debug(adminPort, '/debug/heap?worker=1');
  assert.equal(heap.status, 200, await heap.clone().text());
  const heapPid = Number(heap.headers.get('x-sluice-pid'));
  assert.ok(heapPid !== workerPid && heapPid !== proxy.child.pid, 'worker 1 is neither worker 0 nor the primary');
  assert.match(heap.headers.get('content-disposition') ?? '', /\.heapsnapshot"$/);
  const snapshot = (await heap.json()) as { snapshot: { meta: { node_fields: string[] }; node_count: number }; nodes: number[]; strings: string[] };
  assert.ok(snapshot.snapshot.meta.node_fields.includes('self_size'));
  assert.ok(snapshot.nodes.length > 0 && snapshot.nodes.length === snapshot.snapshot.node_count * snapshot.snapshot.meta.node_fields.length);
  const unknownWorker = await debug(adminPort, '/debug/heap?worker=2');
  assert.equal(unknownWorker.status, 404);
  assert.deepEqual(await unknownWorker.json(), { error: 'no worker 2: 2 workers serve, ?worker=0 to 1' });

  // Worker 0 stopped (SIGSTOP): a 1 s profile gets 504 after its second and the 10 s margin.
  process.kill(workerPid, 'SIGSTOP');
  stoppedWorker = workerPid;
  const askedAt = Date.now();
  const silent = await debug(adminPort, '/debug/profile?seconds=1&worker=0');
  const waitedMs = Date.now() - askedAt;
  assert.equal(silent.status, 504);
  assert.deepEqual(await silent.json(), { error: `worker 0 (pid ${workerPid}) did not answer within 11 s` });
  assert.ok(waitedMs >= 10_500 && waitedMs < 20_000, `504 after ${waitedMs} ms`);
  process.kill(workerPid, 'SIGCONT');
  stoppedWorker = undefined;
  // Woken up, the worker takes the profile nobody waits for any more; until then it refuses another.
  const again = await until('worker 0 profiling again', async () => {
    const r = await debug(adminPort, '/debug/profile?seconds=1&worker=0');
    if (r.status === 409) return void (await r.body?.cancel());
    return r;
  }, 15_000, 200);
  assert.equal(again.status, 200, await again.clone().text());
  await again.arrayBuffer();
  // The late profile's file was removed, as every file once sent.
  await until(() => `no diagnostic left in the proxy's temporary folder: ${readdirSync(proxyTmp).join(', ')}`, () => readdirSync(proxyTmp).every((name) => !name.startsWith('sluice-diagnostic-')), 5_000);

  // The token file is read at each request: a rotated token takes effect at once.
  writeFileSync(join(dir, 'admin-token'), 'rotated-admin-token-0123456789\n');
  assert.equal((await debug(adminPort, '/debug/heap?worker=9')).status, 401);
  const rotated = await fetch(`http://127.0.0.1:${adminPort}/debug/heap?worker=9`, { headers: { authorization: 'Bearer rotated-admin-token-0123456789' } });
  assert.equal(rotated.status, 404, await rotated.text());
});
