// Every change request is logged once at info level with who made it (the token's name, never the
// token), the revision and the kinds and names it touched; refused ones are logged with who tried.
// On real etcd, where the revision is the store's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, TEST_TOKEN } from '../support/api-harness.js';
import { EDITOR, ROLE_TOKENS, VIEWER } from '../support/role-tokens.js';

const cluster = (name: string) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port: 8080 }] });
const route = (name: string, clusterName: string) => ({ kind: 'Route', name, hosts: ['audit.local'], match: { pathPrefix: '/' }, forward: { cluster: clusterName } });

interface AuditLine {
  level: number;
  msg: string;
  audit: 'change' | 'refused';
  actor: string;
  operation: string;
  revision?: number;
  code?: string;
  changes?: Array<{ kind: string; name: string; action: string }>;
  targets?: Array<{ kind: string; name: string }>;
}

describeEachStore('the audit log', (fixture) => {
  /** The audit lines written since `from` (an index into the captured logs). */
  const auditSince = (from: number): AuditLine[] =>
    fixture().api.logs.slice(from).map((l) => JSON.parse(l) as AuditLine).filter((l) => l.audit !== undefined);

  test('an apply is logged once with the actor name, the revision and each changed kind and name; never the token', async () => {
    const { api } = fixture();
    const from = api.logs.length;
    const res = await api.apply([cluster('shop'), route('shop', 'shop')], { token: EDITOR.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const lines = auditSince(from);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const [line] = lines as [AuditLine];
    assert.equal(line.level, 30, 'info');
    assert.equal(line.msg, 'change committed');
    assert.equal(line.actor, 'ci-bot');
    assert.equal(line.operation, 'apply');
    assert.equal(line.revision, res.body.revision);
    assert.deepEqual(line.changes, [{ kind: 'Cluster', name: 'shop', action: 'created' }, { kind: 'Route', name: 'shop', action: 'created' }]);
    for (const l of api.logs) for (const t of [...ROLE_TOKENS.map((e) => e.token), TEST_TOKEN]) assert.ok(!l.includes(t), `a token in the log: ${l}`);
  });

  test('put and delete are logged once each with their operation, the --token-file token as "admin"', async () => {
    const { api } = fixture();
    const from = api.logs.length;
    const put = await api.put('/v1/clusters/solo', cluster('solo'));
    assert.equal(put.status, 201);
    const del = await api.delete('/v1/clusters/solo');
    assert.equal(del.status, 200);
    assert.deepEqual(auditSince(from).map(({ msg, actor, operation, revision, changes }) => ({ msg, actor, operation, revision, changes })), [
      { msg: 'change committed', actor: 'admin', operation: 'put', revision: put.body.revision, changes: [{ kind: 'Cluster', name: 'solo', action: 'created' }] },
      { msg: 'change committed', actor: 'admin', operation: 'delete', revision: del.body.revision, changes: [{ kind: 'Cluster', name: 'solo', action: 'deleted' }] },
    ]);
  });

  test('refused changes are logged once with who tried and why: a role, a reference, a body', async () => {
    const { api } = fixture();
    const from = api.logs.length;
    assert.equal((await api.apply([cluster('nope')], { token: VIEWER.token })).status, 403);
    assert.equal((await api.delete('/v1/clusters/shop', { token: EDITOR.token })).status, 409, 'still referenced by route shop');
    assert.equal((await api.apply('kind: Cluster\nname: [', { token: EDITOR.token })).status, 400);
    assert.equal((await api.put('/v1/routes/lost', route('lost', 'missing'), { token: EDITOR.token })).status, 400);
    const refused = auditSince(from);
    assert.deepEqual(refused.map(({ msg, actor, operation, code, targets }) => ({ msg, actor, operation, code, targets })), [
      { msg: 'change refused', actor: 'vera-viewer', operation: 'apply', code: 'SLUICE_FORBIDDEN', targets: [] },
      { msg: 'change refused', actor: 'ci-bot', operation: 'delete', code: 'SLUICE_REFERENCED', targets: [{ kind: 'Cluster', name: 'shop' }] },
      { msg: 'change refused', actor: 'ci-bot', operation: 'apply', code: 'SLUICE_BAD_REQUEST', targets: [] },
      { msg: 'change refused', actor: 'ci-bot', operation: 'put', code: 'SLUICE_VALIDATION', targets: [{ kind: 'Route', name: 'lost' }] },
    ]);
    for (const l of refused) assert.equal(l.level, 30);
  });

  test('reads are not audited', async () => {
    const { api } = fixture();
    const from = api.logs.length;
    assert.equal((await api.get('/v1/clusters', { token: VIEWER.token })).status, 200);
    assert.equal((await api.get('/v1/api-tokens', { token: VIEWER.token })).status, 403);
    assert.deepEqual(auditSince(from), []);
  });
}, { tokens: ROLE_TOKENS });
