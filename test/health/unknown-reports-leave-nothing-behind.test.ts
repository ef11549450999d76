// A proxy reports UNKNOWN for an endpoint it stopped checking. About an endpoint nobody voted on, such a
// report must leave no state behind in the aggregator (a fleet of proxies churning through endpoints
// would otherwise grow it for good), and it writes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { HealthAggregator } from '../../control-plane/src/health/health-aggregator.js';
import type { HealthWriter } from '../../control-plane/src/health/health-writer.js';

test('UNKNOWN about an endpoint nobody voted on leaves no entry and writes nothing', async () => {
  const writes: string[] = [];
  // The aggregator's seam to etcd: record what it asks for.
  const writer = {
    put: async (e: { address: string; health: Health }) => void writes.push(`put ${e.address} ${Health[e.health]}`),
    remove: async (_c: string, address: string) => void writes.push(`remove ${address}`),
  } as unknown as HealthWriter;
  const agg = new HealthAggregator(writer);
  for (let i = 0; i < 100; i++) agg.report('p1', [{ cluster: 'web', address: `10.0.0.${i}`, port: 80, health: Health.UNKNOWN, reason: 'no longer checked' } as never]);
  assert.equal((agg as unknown as { endpoints: Map<string, unknown> }).endpoints.size, 0, 'no entry kept');
  assert.deepEqual(writes, []);

  // A real vote, then its withdrawal: one put, one remove, and nothing kept after.
  agg.report('p1', [{ cluster: 'web', address: '10.0.1.1', port: 80, health: Health.UNHEALTHY, reason: 'x' } as never]);
  agg.report('p1', [{ cluster: 'web', address: '10.0.1.1', port: 80, health: Health.UNKNOWN, reason: 'x' } as never]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ['put 10.0.1.1 UNHEALTHY', 'remove 10.0.1.1']);
  assert.equal((agg as unknown as { endpoints: Map<string, unknown> }).endpoints.size, 0);
  agg.close();
});
