// Every change is recorded with who, when and what; `rollback --to R` restores exactly the mesh of
// revision R as one new, recorded change; private keys never show in the history and come back on a
// rollback. On the embedded store and on real etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { AesGcmSealer } from '../../control-plane/src/identity/aes-gcm-sealer.js';
import { runCtlCommand } from '../../control-plane/src/cli/ctl/ctl-command.js';
import { describeEachStore, TEST_TOKEN, type TestApi } from '../support/api-harness.js';
import { EDITOR, ROLE_TOKENS, VIEWER } from '../support/role-tokens.js';
import { testKey } from '../support/encryption-keys.js';
import { readExample } from '../support/examples.js';
import { etcdctl } from '../support/etcdctl.js';

const cluster = (name: string, port = 8080) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });
const route = (name: string, clusterName: string) => ({ kind: 'Route', name, hosts: [`${name}.local`], match: { pathPrefix: '/' }, forward: { cluster: clusterName } });

function webCertificate(): { kind: string; name: string; privateKey: string } {
  const parsed = parseDocuments(readExample('protocols.yaml'), 'yaml');
  assert.ok(parsed.ok);
  return (parsed.documents as Array<{ kind: string; name: string; privateKey: string }>).find((d) => d.kind === 'Certificate')!;
}

/** The base64 lines of the key: none may appear in a history answer or in the stored records. */
function assertNoKey(text: string, privateKey: string, where: string): void {
  for (const line of privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) assert.ok(!text.includes(line), `${where} shows private key material`);
}

/** Every resource the API lists, without revisions: what proxies would be sent. */
async function mesh(api: TestApi): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of ['listeners', 'routes', 'clusters', 'endpoints', 'certificates']) {
    const res = await api.get(`/v1/${kind}`);
    assert.equal(res.status, 200);
    out[kind] = (res.body.resources as Array<Record<string, unknown>>).map(({ revision: _r, ...rest }) => rest);
  }
  return out;
}

const ctl = (api: TestApi, ...args: string[]): Promise<string> => runCtlCommand(['--server', api.url, '--token', TEST_TOKEN, ...args], {});

describeEachStore('change history and rollback', (fixture) => {
  let revisionA = 0;
  let meshA: unknown;
  const cert = webCertificate();

  test('apply A, then change, add and delete in B: history lists each change with who, when and what', async () => {
    const { api } = fixture();
    const started = Date.now();
    const a = await api.apply([cluster('shop'), cluster('legacy'), route('shop', 'shop'), cert], { token: EDITOR.token });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    revisionA = a.body.revision;
    meshA = await mesh(api);

    const b = await api.apply([cluster('shop', 9090), cluster('search'), route('search', 'search')], { token: EDITOR.token });
    assert.equal(b.status, 200, JSON.stringify(b.body));
    const deleted = await api.delete('/v1/clusters/legacy');
    assert.equal(deleted.status, 200);
    const certGone = await api.delete(`/v1/certificates/${cert.name}`);
    assert.equal(certGone.status, 200);

    const history = await api.get('/v1/history', { token: VIEWER.token });
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assertNoKey(JSON.stringify(history.body), cert.privateKey, 'GET /v1/history');
    const entries = history.body.entries as Array<{ revision: number; time: string; actor: string; operation: string; changes: Array<{ kind: string; name: string; action: string; before?: any; after?: any }> }>;
    assert.deepEqual(entries.map((e) => [e.revision, e.actor, e.operation, e.changes.map((c) => `${c.kind}/${c.name} ${c.action}`)]), [
      [certGone.body.revision, 'admin', 'delete', [`Certificate/${cert.name} deleted`]],
      [deleted.body.revision, 'admin', 'delete', ['Cluster/legacy deleted']],
      [b.body.revision, 'ci-bot', 'apply', ['Cluster/shop updated', 'Cluster/search created', 'Route/search created']],
      [revisionA, 'ci-bot', 'apply', ['Cluster/shop created', 'Cluster/legacy created', 'Route/shop created', `Certificate/${cert.name} created`]],
    ]);
    for (const e of entries) assert.ok(Date.parse(e.time) >= started - 1000 && Date.parse(e.time) <= Date.now() + 1000, `time ${e.time}`);
    const shopUpdate = entries[2]!.changes[0]!;
    assert.equal(shopUpdate.before.endpoints[0].port, 8080);
    assert.equal(shopUpdate.after.endpoints[0].port, 9090);
    assert.equal(entries[2]!.changes[1]!.before, undefined, 'a create has nothing before');
    const certDelete = entries[0]!.changes[0]!;
    assert.equal(certDelete.before.privateKey, '[redacted]');
    assert.equal(certDelete.after, undefined);
    assert.equal(entries[3]!.changes[3]!.after.privateKey, '[redacted]');

    // Filtered by kind and name: only the changes of that resource, in the records that have one.
    const shop = await api.get('/v1/history?kind=cluster&name=shop');
    assert.deepEqual((shop.body.entries as typeof entries).map((e) => [e.revision, e.changes.map((c) => c.action)]), [[b.body.revision, ['updated']], [revisionA, ['created']]]);
    // Paged, newest first: `continue` carries on where the page ended.
    const first = await api.get('/v1/history?limit=3');
    assert.equal(first.body.entries.length, 3);
    const rest = await api.get(`/v1/history?limit=3&continue=${first.body.continue}`);
    assert.deepEqual(rest.body.entries.map((e: { revision: number }) => e.revision), [revisionA]);
    assert.equal(rest.body.continue, undefined);

    const table = await ctl(api, 'history', 'clusters');
    assert.match(table, /^REVISION\s+TIME\s+ACTOR\s+OPERATION\s+CHANGES$/m);
    assert.match(table, new RegExp(`^${b.body.revision}\\s+\\S+\\s+ci-bot\\s+apply\\s+cluster/shop updated, cluster/search created$`, 'm'));
    assert.match(table, new RegExp(`^${deleted.body.revision}\\s+\\S+\\s+admin\\s+delete\\s+cluster/legacy deleted$`, 'm'));
  });

  test('rollback --to the revision of A restores exactly A\'s mesh, private key included, as one new recorded revision', async () => {
    const { api } = fixture();
    const before = await api.get('/v1/routes');
    assert.equal((await api.request('POST', '/v1/rollback', { body: { toRevision: revisionA }, token: VIEWER.token })).status, 403, 'a viewer may not roll back');

    const dry = await api.request('POST', '/v1/rollback', { body: { toRevision: revisionA, dryRun: true } });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(dry.body.changes.map((c: { kind: string; name: string; action: string }) => `${c.kind}/${c.name} ${c.action}`),
      [`Certificate/${cert.name} created`, 'Cluster/legacy created', 'Cluster/search deleted', 'Cluster/shop updated', 'Route/search deleted']);
    assert.equal((await api.get('/v1/routes')).body.revision, before.body.revision, 'a dry run writes nothing');

    const out = await ctl(api, 'rollback', '--to', String(revisionA));
    const revision = Number(/^revision (\d+)$/m.exec(out)?.[1]);
    assert.ok(revision > before.body.revision, out);
    assert.match(out, /^cluster\/shop updated$/m);
    assert.deepEqual(await mesh(api), meshA, 'the mesh is that of revision A');
    const restored = api.controlPlane.resourceCache.get('Certificate', cert.name)?.resource;
    assert.equal(restored?.kind === 'Certificate' && restored.spec.privateKey, cert.privateKey, 'the private key came back');
    for (const [kind, name] of [['clusters', 'shop'], ['clusters', 'legacy'], ['certificates', cert.name]] as const) {
      assert.equal((await api.get(`/v1/${kind}/${name}`)).body.revision, revision, `${kind}/${name} changed in the rollback's one revision`);
    }

    const history = await api.get('/v1/history?limit=1');
    const [entry] = history.body.entries;
    assert.deepEqual([entry.revision, entry.operation, entry.toRevision, entry.actor, entry.changes.length], [revision, 'rollback', revisionA, 'admin', 5]);
    assert.match(await ctl(api, 'history'), new RegExp(`^${revision}\\s+\\S+\\s+admin\\s+rollback to ${revisionA}\\s+`, 'm'));

    // Nothing left to restore: nothing is written and nothing recorded.
    const again = await ctl(api, 'rollback', '--to', String(revisionA));
    assert.match(again, new RegExp(`^the configuration is already that of revision ${revisionA}$`, 'm'));
    assert.equal((await api.get('/v1/history?limit=1')).body.entries[0].revision, revision);
    assert.equal((await api.get('/v1/clusters/shop')).body.revision, revision);

    const { etcd } = fixture();
    if (etcd !== undefined) {
      // What etcd holds of the records: the certificate, its private key sealed.
      const raw = await etcdctl(etcd.endpoints, 'get', '--prefix', '/sluice/meta/history/');
      assert.ok(raw.includes(`"name":"${cert.name}"`), 'the certificate is in the records');
      assertNoKey(raw, cert.privateKey, 'etcd');
    }
  });

  test('a revision older than the retained history is refused with the oldest one it can restore', async () => {
    const { api } = fixture();
    // --history-limit 4: four more changes push A's records out.
    for (let i = 0; i < 4; i++) assert.equal((await api.put('/v1/clusters/churn', cluster('churn', 7000 + i))).status, i === 0 ? 201 : 200);
    const history = await api.get('/v1/history');
    assert.equal(history.body.entries.length, 4);
    const oldest = history.body.oldestRevision as number;
    assert.ok(oldest > revisionA);
    const refused = await api.request('POST', '/v1/rollback', { body: { toRevision: revisionA } });
    assert.equal(refused.status, 410, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'SLUICE_HISTORY_EXPIRED');
    assert.match(refused.body.message, new RegExp(`the oldest revision it can restore is ${oldest}`));
    assert.deepEqual(refused.body.errors.map((e: { path: string }) => e.path), ['toRevision']);
    await assert.rejects(ctl(api, 'rollback', '--to', String(revisionA)), /410 SLUICE_HISTORY_EXPIRED/);
    // The oldest one itself still works (undoes the three later puts).
    const ok = await api.request('POST', '/v1/rollback', { body: { toRevision: oldest, dryRun: true } });
    assert.deepEqual(ok.body.changes, [{ kind: 'Cluster', name: 'churn', action: 'deleted' }]);
    const future = await api.request('POST', '/v1/rollback', { body: { toRevision: 1_000_000 } });
    assert.equal(future.status, 400);
  });
}, { tokens: ROLE_TOKENS, historyLimit: 4, sealer: new AesGcmSealer([testKey('history-test')]) });
