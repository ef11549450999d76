// Many clients writing at once: each write is checked against the state it commits on, the losers of
// a race are validated again and retried, and every write lands exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/api-harness.js';

describeEachStore('concurrent writes', (fixture) => {
  test('30 parallel PUTs of different routes all succeed and all are stored', async () => {
    const { api } = fixture();
    assert.equal((await api.put('/v1/clusters/race', { kind: 'Cluster', name: 'race', endpoints: [{ address: '127.0.0.1', port: 19081 }] })).status, 201);
    const names = Array.from({ length: 30 }, (_, i) => `race-${i}`);
    const answers = await Promise.all(names.map((name) =>
      api.put(`/v1/routes/${name}`, { kind: 'Route', name, hosts: ['race.local'], match: { pathPrefix: `/${name}/` }, forward: { cluster: 'race' } })));
    for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
    const revisions = new Set(answers.map((a) => a.body.revision));
    assert.equal(revisions.size, 30, 'each write is its own transaction');
    const list = await api.get('/v1/routes');
    for (const name of names) assert.ok(list.body.resources.some((r: { name: string }) => r.name === name), name);
  });

  test('a delete racing with a write that references the deleted resource: never both', async () => {
    const { api } = fixture();
    for (let round = 0; round < 5; round++) {
      const cluster = `race-target-${round}`;
      await api.put(`/v1/clusters/${cluster}`, { kind: 'Cluster', name: cluster, endpoints: [{ address: '127.0.0.1', port: 19081 }] });
      const [del, put] = await Promise.all([
        api.delete(`/v1/clusters/${cluster}`),
        api.put(`/v1/routes/race-ref-${round}`, { kind: 'Route', name: `race-ref-${round}`, hosts: ['race.local'], match: { pathPrefix: `/ref${round}/` }, forward: { cluster } }),
      ]);
      const deleted = del.status === 200;
      const referenced = put.status === 201;
      assert.ok(deleted !== referenced, `round ${round}: delete ${del.status} ${JSON.stringify(del.body)}, put ${put.status} ${JSON.stringify(put.body)}`);
      if (deleted) assert.equal(put.body.code, 'SLUICE_VALIDATION');
      else assert.equal(del.body.code, 'SLUICE_REFERENCED');
      const route = await api.get(`/v1/routes/race-ref-${round}`);
      const target = await api.get(`/v1/clusters/${cluster}`);
      assert.ok(route.status !== 200 || target.status === 200, 'no route points at a deleted cluster');
    }
  });
});
