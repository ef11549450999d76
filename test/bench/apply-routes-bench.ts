// Admin API benchmark: 10,000 distinct routes to one cluster written through the
// API (batches via POST /v1/apply, and one-by-one PUTs from one and from 16 clients), then
// GET /v1/routes listed repeatedly; on the embedded store and on a real etcd. Prints one table.
// The control plane is the built `sluice control-plane` in its own process (as deployed: discovery on,
// info logs), so the client's work is not counted in the server's latency.
//
//   npm run build && node dist/test/bench/apply-routes-bench.js [--store embedded,etcd] [--routes 10000]
//       [--batch 100] [--puts 500] [--lists 20]
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { SluiceProcess } from '../support/run-sluice.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'embedded,etcd' },
    routes: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    puts: { type: 'string', default: '500' },
    lists: { type: 'string', default: '20' },
  },
});
const ROUTES = Number(values.routes);
const BATCH = Number(values.batch);
const PUTS = Number(values.puts);
const LISTS = Number(values.lists);
const TOKEN = 'bench-token';
const CLIENTS = 16;

interface Row {
  store: string;
  applyRoutesPerSec: number;
  applyRequestMs: number[];
  put1PerSec: number;
  put1Ms: number[];
  put16PerSec: number;
  listMs: number[];
  listBytes: number;
  listed: number;
}

const route = (name: string, i: number) => ({
  kind: 'Route',
  name,
  hosts: [`svc-${i % 100}.example`],
  match: { pathPrefix: `/api/v${i % 7}/items/${i}/` },
  forward: { cluster: 'bench' },
  timeoutMs: 2000,
});

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** One API call over node:http (keep-alive); resolves with the status and the body text. */
function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 300) reject(new Error(`${method} ${path}: ${status} ${text.slice(0, 300)}`));
        else resolve({ status, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

async function benchStore(store: 'embedded' | 'etcd'): Promise<Row> {
  const etcd = store === 'etcd' ? await EtcdCluster.start(1) : undefined;
  const cp = new SluiceProcess(
    ['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', ...(etcd ? ['--etcd', etcd.endpoints.join(',')] : [])],
    { SLUICE_TOKEN: TOKEN },
  );
  const ready = await cp.waitFor(/^.*"msg":"control plane ready".*$/m, 30000);
  const base = JSON.parse(ready[0]).api as string;
  cp.discardOutput();
  try {
    await call(base, 'PUT', '/v1/clusters/bench', { endpoints: [{ address: '127.0.0.1', port: 19081 }] });
    const batched = ROUTES - 2 * PUTS;

    // 1. Batches through POST /v1/apply: one store transaction per request.
    const applyRequestMs: number[] = [];
    const [, applyMs] = await timed(async () => {
      for (let start = 0; start < batched; start += BATCH) {
        const docs: unknown[] = [];
        for (let i = start; i < Math.min(batched, start + BATCH); i++) docs.push(route(`r-${i}`, i));
        const [, ms] = await timed(() => call(base, 'POST', '/v1/apply', { resources: docs }));
        applyRequestMs.push(ms);
      }
    });

    // 2. One PUT per route from one client, each answered after the cache shows it.
    const put1Ms: number[] = [];
    const [, put1Total] = await timed(async () => {
      for (let i = batched; i < batched + PUTS; i++) {
        const [, ms] = await timed(() => call(base, 'PUT', `/v1/routes/r-${i}`, route(`r-${i}`, i)));
        put1Ms.push(ms);
      }
    });

    // 3. One PUT per route from 16 concurrent clients.
    let next = batched + PUTS;
    const end = batched + 2 * PUTS;
    const [, put16Total] = await timed(() => Promise.all(Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < end; i = next++) await call(base, 'PUT', `/v1/routes/r-${i}`, route(`r-${i}`, i));
    })));

    // 4. List every route, several times (after discovery has rebuilt its snapshot from the writes).
    await new Promise((r) => setTimeout(r, 2000));
    const listMs: number[] = [];
    let listBytes = 0;
    let listed = 0;
    for (let n = 0; n < LISTS; n++) {
      const [res, ms] = await timed(() => call(base, 'GET', '/v1/routes'));
      listMs.push(ms);
      listBytes = Buffer.byteLength(res.text);
      listed = (JSON.parse(res.text) as { resources: unknown[] }).resources.length;
    }
    if (listed !== ROUTES) throw new Error(`listed ${listed} routes, expected ${ROUTES}`);
    return {
      store,
      applyRoutesPerSec: batched / (applyMs / 1000),
      applyRequestMs,
      put1PerSec: PUTS / (put1Total / 1000),
      put1Ms,
      put16PerSec: PUTS / (put16Total / 1000),
      listMs,
      listBytes,
      listed,
    };
  } finally {
    agent.destroy();
    await cp.stop();
    await etcd?.stop();
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f1 = (n: number): string => n.toFixed(1);

const rows: Row[] = [];
for (const store of values.store.split(',') as Array<'embedded' | 'etcd'>) {
  process.stderr.write(`# ${store}: writing ${ROUTES} routes...\n`);
  rows.push(await benchStore(store));
}
console.log(`\nAdmin API, ${ROUTES.toLocaleString('en-US')} routes to one cluster (Node ${process.version}; etcd single member on tmpfs)\n`);
console.log(`| store | apply, ${BATCH}/request: routes/s (p50 / p99 ms per request) | PUT, 1 client: writes/s (p50 / p99 ms) | PUT, ${CLIENTS} clients: writes/s | GET /v1/routes (${ROUTES.toLocaleString('en-US')}): p50 / p99 ms | list body |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.store} | ${f0(r.applyRoutesPerSec)} (${f1(pct(r.applyRequestMs, 50))} / ${f1(pct(r.applyRequestMs, 99))}) | ${f0(r.put1PerSec)} (${f1(pct(r.put1Ms, 50))} / ${f1(pct(r.put1Ms, 99))}) | ${f0(r.put16PerSec)} | ${f1(pct(r.listMs, 50))} / ${f1(pct(r.listMs, 99))} | ${(r.listBytes / 1024 / 1024).toFixed(1)} MiB |`);
}
console.log(`\n${BATCH} routes per apply (${ROUTES - 2 * PUTS} routes), ${PUTS} PUTs from one client, ${PUTS} PUTs from ${CLIENTS} clients; ${LISTS} lists.`);
