// The chaos run's store check (orphan-keys.ts) is only worth its "0 orphans" if it names every key
// nobody owns: a resource the API no longer lists, an entry of a replica that is gone or whose lease
// expired, an entry without a lease, a key Sluice never writes. Keys of live owners pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { keyOwners } from './orphan-keys.js';
import { replicaPid } from '../support/replica-pid.js';
import type { StoredKey } from './store-keys.js';

const live = `${hostname()}-1234-a1b2c3`;
const dead = `${hostname()}-999-d4e5f6`;
const entry = (replica: string): string => JSON.stringify({ cluster: 'web', address: '127.0.0.1', port: 80, health: 'HEALTHY', source: replica, replica, since: '' });

test('keys of live owners are owned; every other key is an orphan, with why', () => {
  const keys: StoredKey[] = [
    { key: '/sluice/meta/generation', value: '' },
    { key: '/sluice/v1/routes/web', value: '{}' },
    { key: '/sluice/v1/routes/gone', value: '{}' },
    { key: `/sluice/health/web/127.0.0.1:80/${live}`, value: entry(live), lease: '00000000000000aa' },
    { key: `/sluice/health/web/127.0.0.1:81/${dead}`, value: entry(dead), lease: '00000000000000bb' },
    { key: `/sluice/health/web/127.0.0.1:82/${live}`, value: entry(live), lease: '00000000000000cc' },
    { key: `/sluice/health/web/127.0.0.1:83/${live}`, value: entry(live) },
    { key: '/sluice/leader/health-checker', value: live, lease: '00000000000000aa' },
    { key: `/sluice/fleet/proxies/${live}/3`, value: '[]', lease: '00000000000000aa' },
    { key: `/sluice/fleet/proxies/${dead}/3`, value: '[]', lease: '00000000000000bb' },
    { key: '/sluice/meta/history/00000000000000000042', value: '{}' },
    { key: '/sluice/identity/ca', value: '{}' },
    { key: '/sluice/status/cp-a', value: '{}' },
    { key: '/elsewhere', value: 'x' },
  ];
  const { counts, orphans } = keyOwners(keys, {
    resources: new Set(['Route/web']),
    replicas: new Map([[1234, 'cp-a']]),
    leases: new Map([['00000000000000aa', 7], ['00000000000000bb', 3]]),
  });
  assert.deepEqual(Object.fromEntries(counts), { 'generation key': 1, resources: 1, 'health entries (cp-a)': 1, 'election key (cp-a)': 1, 'proxy status (cp-a)': 1, 'change history': 1, 'mesh identity': 1 });
  assert.deepEqual(orphans.map((o) => o.split(':')[0]), [
    '/sluice/v1/routes/gone',
    '/sluice/health/web/127.0.0.1',
    '/sluice/health/web/127.0.0.1',
    '/sluice/health/web/127.0.0.1',
    `/sluice/fleet/proxies/${dead}/3`,
    '/sluice/status/cp-a',
    '/elsewhere',
  ]);
  assert.match(orphans[1]!, /not a live replica/);
  assert.match(orphans[2]!, /has expired/);
  assert.match(orphans[3]!, /without a lease/);
});

test('a replica id names its pid only when it is this host, a pid and a random suffix', () => {
  assert.equal(replicaPid(live), 1234);
  assert.equal(replicaPid('elsewhere-1234-a1b2c3'), undefined);
  assert.equal(replicaPid(`${hostname()}-x-a1b2c3`), undefined);
});
