// Small resources, a watch recorder and polling helpers shared by the store tests.
import assert from 'node:assert/strict';
import { KINDS, type Kind, type Resource } from '../../proto/src/model/kinds.js';
import { specFromJson, specToJson } from '../../proto/src/model/resource-json.js';
import { ControlPlaneError } from '../../control-plane/src/errors.js';
import type { ResourceStore, StoredResource, WatchEvent, WatchHandle, WriteOp } from '../../control-plane/src/store/store.js';
import { until } from '../support/until.js';
import type { TestContext } from 'node:test';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { APPLYSET_PREFIX } from '../../control-plane/src/store/keys.js';
import { ResourceCache } from '../../control-plane/src/store/resource-cache.js';

export function route(name: string, host = `${name}.example`): Resource {
  return specFromJson('Route', { name, hosts: [host], priority: 3, timeoutMs: 1500, match: { pathPrefix: '/' }, forward: { cluster: 'backend' } });
}

export function cluster(name: string): Resource {
  return specFromJson('Cluster', { name, connectTimeoutMs: 250 });
}

export function certificate(name: string, chainBytes: number): Resource {
  return specFromJson('Certificate', { name, certChain: 'A'.repeat(chainBytes) });
}

/** `put Route/web@12` or `delete Route/web@13`: events in a form assertions can compare. */
export function describeEvent(e: WatchEvent): string {
  return e.type === 'put' ? `put ${e.resource.kind}/${e.resource.spec.name}@${e.revision}` : `delete ${e.kind}/${e.name}@${e.revision}`;
}

export function json(resource: Resource): unknown {
  return { kind: resource.kind, ...specToJson(resource) };
}

/** Resources as `Kind/name@revision`, for comparing a cache or a list with the store's truth. */
export function describeStored(resources: Iterable<StoredResource>): string[] {
  return [...resources].map((r) => `${r.resource.kind}/${r.resource.spec.name}@${r.revision}`).sort();
}

export interface WatchRecord {
  readonly handle: WatchHandle;
  /** One entry per onEvents call: `12: put Route/a@12, put Route/b@12`. */
  readonly batches: string[];
  readonly ends: string[];
  readonly log: string[];
  /** Resolves once a batch at `revision` or later has arrived. */
  until(revision: number, timeoutMs?: number): Promise<true>;
  untilEnded(timeoutMs?: number): Promise<true>;
}

export function record(store: ResourceStore, fromRevision: number): WatchRecord {
  const batches: string[] = [];
  const ends: string[] = [];
  const log: string[] = [];
  let last = fromRevision;
  const handle = store.watch(fromRevision, {
    onEvents(events, revision) {
      assert.ok(events.every((e) => e.revision === revision), 'every event of a batch carries the batch revision');
      assert.ok(revision > last, `revisions arrive in increasing order (${revision} after ${last})`);
      last = revision;
      batches.push(`${revision}: ${events.map(describeEvent).join(', ')}`);
      log.push(`events ${revision}`);
    },
    onEnd(reason) {
      ends.push(reason);
      log.push(`end ${reason}`);
    },
    onInterrupted() {
      log.push('interrupted');
    },
    onResumed(revision) {
      log.push(`resumed ${revision}`);
    },
  });
  return {
    handle,
    batches,
    ends,
    log,
    until: (revision, timeoutMs = 5000) => until(() => `the watch at revision ${revision} (it reached ${last}: ${JSON.stringify(batches)})`, () => last >= revision, timeoutMs),
    untilEnded: (timeoutMs = 5000) => until(() => `the watch to end (${JSON.stringify(log)})`, () => ends.length > 0, timeoutMs),
  };
}

export async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<ControlPlaneError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ControlPlaneError, `expected a ControlPlaneError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Deletes every resource through the store itself (tests on a shared etcd start from nothing). */
export async function deleteEverything(store: ResourceStore): Promise<void> {
  const { resources } = await store.list();
  for (let i = 0; i < resources.length; i += 100) {
    const ops = resources.slice(i, i + 100).map((r) => ({ op: 'delete' as const, kind: r.resource.kind as Kind, name: r.resource.spec.name }));
    await store.commit(ops, await store.revision());
  }
  const meta = (await store.listMeta(APPLYSET_PREFIX)).map(({ key }) => ({ key }));
  if (meta.length > 0) await store.commit([], await store.revision(), meta);
}

/** Everything a cache holds, as `Kind/name@revision`. */
export function cacheContents(cache: { list(kind: Kind): StoredResource[] }): string[] {
  return describeStored(KINDS.flatMap((k) => cache.list(k)));
}

export interface Writer {
  /** Revisions of every commit so far. */
  readonly revisions: number[];
  /** Stops after the commit in flight; resolves with the last revision committed. */
  stop(): Promise<number>;
}

/**
 * Commits in a loop (puts of 12 rotating routes, every fifth commit a delete) until stopped, as
 * operators keep applying while the control plane is busy with something else.
 */
export function startWriter(store: ResourceStore, tag: string, pauseMs = 5): Writer {
  const revisions: number[] = [];
  let stopping = false;
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const name = `${tag}-${i % 12}`;
      const op: WriteOp = i % 5 === 4 ? { op: 'delete', kind: 'Route', name } : { op: 'put', resource: route(name, `v${i}.example`) };
      revisions.push(await store.commit([op], await store.revision()));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    revisions,
    stop: async () => {
      stopping = true;
      await loop;
      return revisions[revisions.length - 1] ?? 0;
    },
  };
}

/** An EtcdStore on `endpoints` and a started ResourceCache over it, both closed when the test ends. */
export async function etcdStoreWithCache(t: TestContext, endpoints: readonly string[]): Promise<{ store: EtcdStore; cache: ResourceCache }> {
  const store = new EtcdStore({ endpoints: [...endpoints] });
  t.after(() => store.close());
  const cache = new ResourceCache(store);
  t.after(() => cache.close());
  await cache.start();
  return { store, cache };
}
