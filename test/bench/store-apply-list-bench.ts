// Store benchmark: apply 10,000 routes, then list them, on both stores. Reports
// writes per second for one route per transaction and for batches, list latency, and how long a
// ResourceCache takes to start (list + index) over that many routes.
//
//   npm run build && node dist/test/bench/store-apply-list-bench.js [--store etcd,embedded] [--routes 10000] [--batch 1,100]
import { parseArgs } from 'node:util';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { EmbeddedStore } from '../../control-plane/src/store/embedded-store.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { ResourceCache } from '../../control-plane/src/store/resource-cache.js';
import type { ResourceStore, WriteOp } from '../../control-plane/src/store/store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'etcd,embedded' },
    routes: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '1,100' },
  },
});
const routeCount = Number(values.routes);
const batches = values.batch.split(',').map(Number);

function routeOp(i: number): WriteOp {
  return {
    op: 'put',
    resource: specFromJson('Route', {
      name: `route-${String(i).padStart(5, '0')}`,
      hosts: [`svc-${i % 100}.example`],
      match: { pathPrefix: `/api/v${i % 7}/items/${i}` },
      forward: { cluster: `cluster-${i % 50}` },
      timeoutMs: 2000,
    }),
  };
}

async function withStore<T>(kind: string, fn: (store: ResourceStore) => Promise<T>): Promise<T> {
  if (kind === 'embedded') {
    const store = new EmbeddedStore();
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }
  const etcd = await EtcdCluster.start(1);
  const store = new EtcdStore({ endpoints: etcd.endpoints });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await etcd.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  store: string;
  batch: number;
  writesPerSecond: number;
  txnsPerSecond: number;
  listMedianMs: number;
  listMaxMs: number;
  cacheStartMs: number;
}

const rows: Row[] = [];
for (const kind of values.store.split(',')) {
  for (const batch of batches) {
    rows.push(await withStore(kind, async (store) => {
      let revision = await store.revision();
      const started = performance.now();
      for (let i = 0; i < routeCount; i += batch) {
        const ops: WriteOp[] = [];
        for (let j = i; j < Math.min(i + batch, routeCount); j++) ops.push(routeOp(j));
        revision = await store.commit(ops, revision);
      }
      const seconds = (performance.now() - started) / 1000;
      const lists: number[] = [];
      for (let k = 0; k < 7; k++) {
        const t0 = performance.now();
        const listed = await store.list();
        lists.push(performance.now() - t0);
        if (listed.resources.length !== routeCount) throw new Error(`listed ${listed.resources.length}, wrote ${routeCount}`);
      }
      const t0 = performance.now();
      const cache = new ResourceCache(store);
      await cache.start();
      const cacheStartMs = performance.now() - t0;
      await cache.close();
      return {
        store: kind,
        batch,
        writesPerSecond: routeCount / seconds,
        txnsPerSecond: Math.ceil(routeCount / batch) / seconds,
        listMedianMs: median(lists),
        listMaxMs: Math.max(...lists),
        cacheStartMs,
      };
    }));
    const r = rows[rows.length - 1]!;
    console.error(`# ${r.store} batch ${r.batch}: done`);
  }
}

console.log(`\n${routeCount} routes, Node ${process.version}\n`);
console.log('| store | routes per txn | routes written/s | txns/s | list median ms | list max ms | cache start ms |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.store} | ${r.batch} | ${r.writesPerSecond.toFixed(0)} | ${r.txnsPerSecond.toFixed(0)} | ${r.listMedianMs.toFixed(1)} | ${r.listMaxMs.toFixed(1)} | ${r.cacheStartMs.toFixed(1)} |`);
}
