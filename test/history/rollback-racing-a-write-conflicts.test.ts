// A rollback computed from one state must not land on another: each op is conditioned on the revision
// it was computed from, so a write that lands in between fails the rollback (SLUICE_CONFLICT) instead
// of being half undone; computed again, the rollback goes through and undoes that write too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResourceWriter } from '../../control-plane/src/api/resource-writer.js';
import { ErrorCode } from '../../control-plane/src/errors.js';
import { HistoryLog } from '../../control-plane/src/history/history-log.js';
import { resourcesAt, resourcesNow } from '../../control-plane/src/history/history-state.js';
import { planRollback } from '../../control-plane/src/history/rollback-plan.js';
import { PLAINTEXT_SEALER } from '../../control-plane/src/identity/secret-sealer.js';
import { EmbeddedStore } from '../../control-plane/src/store/embedded-store.js';
import { ResourceCache } from '../../control-plane/src/store/resource-cache.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { cacheContents, cluster, rejectsWithCode } from '../store/store-fixtures.js';

test('a write between computing a rollback and committing it makes the rollback fail with SLUICE_CONFLICT', async (t) => {
  const store = new EmbeddedStore();
  const cache = new ResourceCache(store);
  t.after(() => cache.close());
  await cache.start();
  const history = new HistoryLog({ keyValues: store.keyValues(), sealer: PLAINTEXT_SEALER, limit: 10 });
  const writer = new ResourceWriter(store, cache, { history });
  const origin = { actor: 'test', operation: 'apply' } as const;

  const a = await writer.write([{ resource: cluster('shop') }], [], origin);
  await writer.write([{ resource: cluster('search') }], [], origin);
  const current = resourcesNow(cache);
  const plan = planRollback(current, resourcesAt(a.revision, current, await history.read(current.revision)));
  assert.deepEqual(plan.changes, [{ kind: 'Cluster', name: 'search', action: 'deleted' }]);

  // Lands after the plan was computed: a change of the cluster the rollback deletes.
  await writer.write([{ resource: specFromJson('Cluster', { name: 'search', connectTimeoutMs: 999 }) }], [], origin);
  await rejectsWithCode(writer.write(plan.puts, plan.deletes, { actor: 'test', operation: 'rollback', toRevision: a.revision }), ErrorCode.Conflict, /clusters\[search\]/);
  const search = cache.get('Cluster', 'search')?.resource;
  assert.equal(search?.kind === 'Cluster' && search.spec.connectTimeoutMs, 999, 'nothing of the rollback was written');

  const now = resourcesNow(cache);
  const again = planRollback(now, resourcesAt(a.revision, now, await history.read(now.revision)));
  await writer.write(again.puts, again.deletes, { actor: 'test', operation: 'rollback', toRevision: a.revision });
  assert.deepEqual(cacheContents(cache).map((s) => s.replace(/@\d+$/, '')), ['Cluster/shop'], 'the change that came in between is undone too');
});
