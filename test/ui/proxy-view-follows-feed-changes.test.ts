// The Proxies page's rows, kept current in place from the feed's changes (proxy-view.ts), are the
// rows that filtering and sorting every record again gives, for every filter and sort: after random
// upserts (new proxies, changed states, labels and revisions), removals, resets, and a log outrun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyRecord } from '../../control-plane/ui/api-types.js';
import { ProxyChangeLog, type ProxyChange } from '../../control-plane/ui/proxy-changes.js';
import { filterAndSort, NO_FILTER, type ProxyFilter, type Sort, type SortKey } from '../../control-plane/ui/proxy-filter.js';
import { ProxyView } from '../../control-plane/ui/proxy-view.js';

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function proxy(rand: () => number, id: number): ProxyRecord {
  const pick = (n: number): number => Math.floor(rand() * n);
  return {
    nodeId: `node-${id}`, service: `svc-${pick(4)}`, zone: `zone-${pick(3)}`, namespace: 'default', version: '1', address: `10.0.0.${id}:80`,
    adminAddress: '', replica: `replica-${pick(2)}`, connectedSince: `2026-01-0${1 + pick(3)}T00:00:00.000Z`, ackedRevision: pick(4), types: {},
    rejected: pick(6) === 0 ? [{ kind: 'Route', name: 'r', revision: 3, error: 'refused' }] : [],
  };
}

const FILTERS: ProxyFilter[] = [NO_FILTER, { ...NO_FILTER, service: 'svc-1' }, { ...NO_FILTER, state: 'STALE' }, { ...NO_FILTER, text: 'NODE-1' }, { ...NO_FILTER, zone: 'zone-2', state: 'SYNCED' }];
const KEYS: SortKey[] = ['nodeId', 'service', 'zone', 'replica', 'state', 'ackedRevision', 'connectedSince'];

test('rows kept in place equal rows filtered and sorted again', () => {
  const rand = random(7);
  for (const filter of FILTERS) {
    for (const key of KEYS) {
      const sort: Sort = { key, descending: rand() < 0.5 };
      const all = new Map<string, ProxyRecord>();
      const log = new ProxyChangeLog();
      let next = 0;
      for (; next < 200; next++) all.set(`node-${next}`, proxy(rand, next));
      log.reset();
      const view = new ProxyView(all, log);
      const revision = 2;
      for (let event = 0; event < 30; event++) {
        const changes: ProxyChange[] = [];
        const count = 1 + Math.floor(rand() * 12);
        for (let c = 0; c < count; c++) {
          const roll = rand();
          const ids = [...all.keys()];
          if (roll < 0.2) {
            const after = proxy(rand, next++);
            changes.push({ after });
            all.set(after.nodeId, after);
          } else if (roll < 0.35 && ids.length > 0) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            changes.push({ before: all.get(id)! });
            all.delete(id);
          } else if (ids.length > 0) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            const after = { ...proxy(rand, Number(id.slice(5))) };
            changes.push({ before: all.get(id)!, after });
            all.set(id, after);
          }
        }
        log.record(changes);
        // Not every event is looked at: a render may come after several.
        if (rand() < 0.6) assert.deepEqual(view.rowsFor(revision, filter, sort), filterAndSort(all.values(), revision, filter, sort), `${JSON.stringify(filter)} by ${key}`);
      }
      assert.deepEqual(view.rowsFor(revision, filter, sort), filterAndSort(all.values(), revision, filter, sort));
      assert.deepEqual(view.choicesFor().service, [...new Set([...all.values()].map((p) => p.service))].sort());
    }
  }
});

test('a reset, a new revision or a log the view fell behind rebuilds the rows', () => {
  const rand = random(11);
  const all = new Map<string, ProxyRecord>();
  for (let i = 0; i < 50; i++) all.set(`node-${i}`, proxy(rand, i));
  const log = new ProxyChangeLog();
  const view = new ProxyView(all, log);
  const sort: Sort = { key: 'state', descending: false };
  view.rowsFor(1, NO_FILTER, sort);
  // More changes than the log holds: the view cannot follow them one by one.
  for (let e = 0; e < 5000; e++) {
    const after = proxy(rand, e % 50);
    log.record([{ before: all.get(after.nodeId), after }]);
    all.set(after.nodeId, after);
  }
  assert.equal(log.since(0), undefined);
  assert.deepEqual(view.rowsFor(1, NO_FILTER, sort), filterAndSort(all.values(), 1, NO_FILTER, sort));
  all.clear();
  all.set('node-x', proxy(rand, 99));
  log.reset();
  assert.deepEqual(view.rowsFor(1, NO_FILTER, sort), filterAndSort(all.values(), 1, NO_FILTER, sort));
  assert.deepEqual(view.rowsFor(3, NO_FILTER, sort), filterAndSort(all.values(), 3, NO_FILTER, sort));
});
