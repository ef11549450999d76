// Generated bad input never breaks the admin API: thousands of mutated reference documents, JSON and
// multi-document YAML payloads (tags, anchors, alias bombs, deep nesting, duplicate keys, huge and
// NaN-ish numbers, long and unicode strings), damaged bytes and random bytes, as applies, PUTs and
// DELETEs. Every answer is 2xx or 4xx with a JSON body (errors with field paths), within a time bound,
// and a refused request leaves the store exactly as it was. The bulk runs on the embedded store, a
// sample on real etcd. Figures and reproduction: docs/testing.md, "Fuzzing".
import { test } from 'node:test';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { TestApi } from '../support/api-harness.js';
import { apiCase } from './helpers/api-cases.js';
import { ApiProber } from './helpers/api-prober.js';
import { checkProperty, fuzzSettings, fuzzTimeoutMs } from './helpers/fuzz-run.js';

/** Far above any honest answer on a loaded 2-core machine, far below "hung". */
const ANSWER_WITHIN_MS = 10_000;

const embedded = fuzzSettings(1301, 1200);
test('admin API on the embedded store: generated input is answered 2xx or 4xx, refusals change nothing', { timeout: fuzzTimeoutMs(embedded, 100) }, async (t) => {
  const api = await TestApi.start();
  const prober = new ApiProber(api.url, ANSWER_WITHIN_MS);
  t.after(async () => {
    prober.close();
    await api.stop();
  });
  await prober.seed();
  await checkProperty(t, 'api-embedded', embedded, apiCase, (c) => prober.check(c), () => prober.report());
});

// Writes to etcd are slower than to the embedded store: a smaller sample.
const onEtcd = fuzzSettings(1302, 200);
test('admin API on etcd: generated input is answered 2xx or 4xx, refusals change nothing', { timeout: fuzzTimeoutMs(onEtcd, 200) }, async (t) => {
  const etcd = await EtcdCluster.start();
  const api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
  const prober = new ApiProber(api.url, ANSWER_WITHIN_MS, true);
  t.after(async () => {
    prober.close();
    await api.stop();
    await etcd.stop();
  });
  await prober.seed();
  await checkProperty(t, 'api-etcd', onEtcd, apiCase, (c) => prober.check(c), () => prober.report());
});
