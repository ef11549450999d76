// Deleting a resource that others still reference answers 409 SLUICE_REFERENCED naming every
// referrer, and deletes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/api-harness.js';

describeEachStore('delete of a referenced resource', (fixture) => {
  test('409 naming each referrer with its field path; allowed once the referrers are gone', async () => {
    const { api } = fixture();
    const applied = await api.apply([
      { kind: 'Cluster', name: 'payments', endpoints: [{ address: '127.0.0.1', port: 19081 }] },
      { kind: 'Cluster', name: 'payments-canary', endpoints: [{ address: '127.0.0.1', port: 19082 }] },
      { kind: 'Route', name: 'checkout', hosts: ['shop.local'], match: { pathPrefix: '/checkout/' }, forward: { weighted: [{ cluster: 'payments-canary', weight: 10 }, { cluster: 'payments', weight: 90 }] } },
      { kind: 'Route', name: 'refunds', hosts: ['shop.local'], match: { pathPrefix: '/refunds/' }, forward: { cluster: 'payments' } },
    ]);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));

    const refused = await api.delete('/v1/clusters/payments');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'SLUICE_REFERENCED');
    assert.match(refused.body.message, /clusters\[payments\]/);
    const referrers = refused.body.errors.map((e: { message: string }) => e.message).sort();
    assert.deepEqual(referrers, [
      'still referenced by routes[checkout].forward.weighted[1].cluster',
      'still referenced by routes[refunds].forward.cluster',
    ]);
    assert.equal((await api.get('/v1/clusters/payments')).status, 200, 'nothing was deleted');

    assert.equal((await api.delete('/v1/routes/refunds')).status, 200);
    assert.equal((await api.delete('/v1/routes/checkout')).status, 200);
    assert.equal((await api.delete('/v1/clusters/payments')).status, 200);
  });
});
