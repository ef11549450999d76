// An apply of 5,000 resources against real etcd (run with deploy/'s --max-txn-ops 10240 and
// --max-request-bytes 10 MiB) is one transaction: one bad resource refuses all with its field path and
// stores nothing; the good 5,000 land in one revision, with their apply set's record in the same one.
// A control plane told a lower limit answers 413 naming it and its flag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { TestApi } from '../support/api-harness.js';

const COUNT = 5000;
let etcd: EtcdCluster;
let api: TestApi;
before(async () => {
  etcd = await EtcdCluster.start(1);
  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
});
after(async () => {
  await api?.stop();
  await etcd?.stop();
});

/** One cluster and COUNT - 1 routes to it. */
function fleet(): Array<Record<string, unknown>> {
  const docs: Array<Record<string, unknown>> = [{ kind: 'Cluster', name: 'fleet', endpoints: [{ address: '127.0.0.1', port: 19081 }] }];
  for (let i = 1; i < COUNT; i++) {
    docs.push({ kind: 'Route', name: `fleet-${i}`, hosts: [`svc-${i}.fleet.local`], match: { pathPrefix: `/v${i % 7}/` }, forward: { cluster: 'fleet' } });
  }
  return docs;
}

async function storedRoutes(): Promise<number> {
  const keys = await etcdctl(etcd.endpoints, 'get', '--prefix', '/sluice/v1/routes/', '--keys-only');
  return keys.split('\n').filter((l) => l.startsWith('/sluice/')).length;
}

test(`one route of ${COUNT} referencing a missing cluster refuses all, with its path; nothing is stored`, async () => {
  const docs = fleet();
  docs[3217] = { ...docs[3217], forward: { cluster: 'nowhere' } };
  const before = (await api.get('/v1/routes')).headers.get('sluice-revision');
  const res = await api.apply(docs);
  assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
  assert.equal(res.body.code, 'SLUICE_VALIDATION');
  assert.deepEqual(res.body.errors, [{ path: 'routes[fleet-3217].forward.cluster', message: 'unknown cluster "nowhere"' }]);
  assert.equal(await storedRoutes(), 0);
  assert.equal((await api.get('/v1/routes')).headers.get('sluice-revision'), before);
});

test(`one invalid field among ${COUNT} resources refuses all, with its path`, async () => {
  const docs = fleet();
  docs[4999] = { ...docs[4999], timeoutMs: -5 };
  const res = await api.apply(docs);
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['routes[fleet-4999].timeoutMs']);
  assert.equal(await storedRoutes(), 0);
});

test(`${COUNT} good resources apply in one revision, their apply set's record in the same transaction`, async () => {
  const body = JSON.stringify({ resources: fleet() });
  const started = Date.now();
  const res = await api.request('POST', '/v1/apply?applyset=fleet&prune=true', { body });
  const ms = Date.now() - started;
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  console.log(`# ${COUNT} resources, ${body.length} bytes of JSON, applied in ${ms} ms`);
  const { revision } = res.body;
  assert.equal(res.body.changes.length, COUNT);
  assert.ok(res.body.changes.every((c: { action: string }) => c.action === 'created'));
  assert.ok(res.body.resources.every((r: { revision: number }) => r.revision === revision), 'every resource carries the one revision');
  assert.equal(await storedRoutes(), COUNT - 1);
  const record = JSON.parse(await etcdctl(etcd.endpoints, 'get', '/sluice/meta/applysets/fleet', '-w', 'json')) as { kvs: Array<{ mod_revision: number; value: string }> };
  assert.equal(record.kvs[0]?.mod_revision, revision, 'the apply-set record is written at the apply\'s revision');
  assert.equal((JSON.parse(Buffer.from(record.kvs[0]!.value, 'base64').toString()) as { resources: unknown[] }).resources.length, COUNT);
  assert.equal((await api.get('/v1/routes')).body.resources.length, COUNT - 1);
});

test('a control plane told a lower limit answers 413 naming the limit and the flag, and stores nothing', async () => {
  const small = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints }, { storeLimits: { maxTxnOps: 1000 } });
  try {
    const docs: Array<Record<string, unknown>> = fleet().map((d) => ({ ...d, name: `${d['name'] as string}-x` }));
    docs.forEach((d, i) => i > 0 && (d['forward'] = { cluster: 'fleet-x' }));
    const res = await small.apply(docs);
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'SLUICE_PAYLOAD_TOO_LARGE');
    assert.match(res.body.message, /^5000 resources do not fit in one transaction: 5002 operations .* limit of 1000 \(--store-max-txn-ops, which must match etcd's --max-txn-ops\); raise both, or apply in smaller batches$/);
    assert.equal((await small.get('/v1/routes/fleet-1-x')).status, 404);
  } finally {
    await small.stop();
  }
});
