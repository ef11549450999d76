// /readyz is what a Kubernetes Service waits for before it sends traffic to a control-plane pod,
// proxies' discovery streams included: it must not say ready while the store is read but the parts
// that serve proxies (discovery) are still starting, or proxies would be sent to a closed port and
// fail over elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { until } from '../support/until.js';

test('/readyz answers 503 until every module (discovery) has started', { timeout: 20_000 }, async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const cp = new ControlPlane({
    token: 'readyz-token-0123456789abcdef',
    apiListen: { host: '127.0.0.1', port: 0 },
    log: createLogger({ level: 'silent' }),
    // A module standing for discovery, whose start we hold back.
    modules: [() => ({ start: async () => { await gate; started = true; }, stop: async () => {} })],
  });
  const starting = cp.start();
  t.after(async () => {
    release();
    await starting.catch(() => undefined);
    await cp.stop();
  });
  // The API listens first; wait for it, then for the store to be read.
  // apiUrl throws until the API listens: until() takes that for "not yet".
  const url = await until('the API to listen', () => `${cp.apiUrl}/readyz`, 15_000, 10);
  const statuses: number[] = [];
  let body: { ready: boolean; revision: number } | undefined;
  await until('the store to be read', async () => {
    const res = await fetch(url);
    statuses.push(res.status);
    body = (await res.json()) as typeof body;
    return body!.revision > 0;
  }, 2_000, 10).catch(() => undefined);
  assert.deepEqual([...new Set(statuses)], [503], 'not ready while the module is starting');
  assert.ok(body!.revision > 0, 'the store was read, the module is still held');
  assert.equal(started, false);
  release();
  await starting;
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { ready: boolean }).ready, true);
});
