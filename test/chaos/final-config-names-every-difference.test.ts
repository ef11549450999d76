// The chaos run's final-configuration check (final-config.ts) against hand-made proxy dumps: the dump
// of a proxy running exactly what the control plane sends passes (health verdicts laid over the
// Endpoints, a certificate's version hashed with its private key though the dump redacts it), and
// each way a proxy can be wrong is named: an old revision, a stale resource, a wrong version, a
// missing or extra resource, Endpoints without the verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kind, Resource } from '../../proto/src/model/kinds.js';
import { REDACTED, specFromJson, specToJson } from '../../proto/src/model/resource-json.js';
import { encodeResource } from '../../proto/src/wire/encoded-resource.js';
import { canonical, configDifferences, expectedConfig, type ApiView, type ProxyConfig } from './final-config.js';

const r = (kind: Kind, json: object): Resource => specFromJson(kind, json);
const stored = [
  r('Certificate', { name: 'gw', certChain: 'CHAIN', privateKey: REDACTED }),
  r('Cluster', { name: 'pool', endpoints: [{ address: '127.0.0.1', port: 8001 }] }),
  r('Endpoints', { name: 'pool', endpoints: [{ address: '127.0.0.1', port: 8001, weight: 3 }, { address: '127.0.0.1', port: 8002, weight: 5 }] }),
  r('Route', { name: 'all', hosts: ['*'], forward: { cluster: 'pool' } }),
];
const view: ApiView = {
  revision: 40,
  resources: new Map(stored.map((x) => [`${x.kind}/${x.spec.name}`, x])),
  health: { endpoints: [{ cluster: 'pool', address: '127.0.0.1', port: 8002, health: 'UNHEALTHY' }, { cluster: 'pool', address: '127.0.0.1', port: 8001, health: 'UNKNOWN' }], registrations: [] },
};
const keys = new Map([['gw', 'KEY']]);

/** What a proxy that runs the right thing dumps (built by hand, not by the code under test). */
function rightDump(): { revision: number; versions: Record<string, Record<string, string>>; resources: Map<string, string> } {
  const sent = [
    r('Certificate', { name: 'gw', certChain: 'CHAIN', privateKey: 'KEY' }),
    stored[1]!,
    r('Endpoints', { name: 'pool', endpoints: [{ address: '127.0.0.1', port: 8001, weight: 3 }, { address: '127.0.0.1', port: 8002, weight: 5, health: 'UNHEALTHY' }] }),
    stored[3]!,
  ];
  const versions: Record<string, Record<string, string>> = {};
  const resources = new Map<string, string>();
  for (const x of sent) {
    (versions[x.kind] ??= {})[x.spec.name] = encodeResource(x).version;
    const body = specToJson(x);
    if (x.kind === 'Certificate') body['privateKey'] = REDACTED;
    resources.set(`${x.kind}/${x.spec.name}`, canonical({ kind: x.kind, ...body }));
  }
  return { revision: 42, versions, resources };
}

test('a proxy running what the control plane sends has no difference', () => {
  assert.deepEqual(configDifferences(expectedConfig(view, keys), rightDump(), 42), []);
});

test('every way a proxy can be behind or wrong is named', () => {
  const expected = expectedConfig(view, keys);
  const older: ProxyConfig = { ...rightDump(), revision: 41 };
  assert.deepEqual(configDifferences(expected, older, 42), ['revision 41, older than the last write\'s 42']);

  const stale = rightDump();
  stale.resources.set('Route/all', canonical({ kind: 'Route', name: 'all', hosts: ['old.test'], forward: { cluster: 'pool' } }));
  stale.versions['Route']!['all'] = 'not-the-version';
  assert.deepEqual(configDifferences(expected, stale, 42).map((d) => d.split(':')[0]!.replace(/ (differs|version).*/, ' $1')), ['Route/all differs', 'Route/all version']);

  const unhealthyMissing = rightDump();
  unhealthyMissing.resources.set('Endpoints/pool', canonical({ kind: 'Endpoints', ...specToJson(stored[2]!) }));
  assert.match(configDifferences(expected, unhealthyMissing, 42).join('\n'), /Endpoints\/pool differs/);

  const gaps = rightDump();
  gaps.resources.delete('Cluster/pool');
  delete gaps.versions['Cluster'];
  gaps.resources.set('Listener/extra', '{}');
  assert.deepEqual(configDifferences(expected, gaps, 42), ['Cluster/pool missing', `Cluster/pool version none, expected ${expected.get('Cluster/pool')!.version}`, 'Listener/extra is not in the API\'s listing']);
});
