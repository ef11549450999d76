// The diff `sluice ctl proxy-config` prints: resources the control plane intends and the proxy lacks
// (missing), ones the proxy runs and the control plane no longer intends (extra), and for one both
// hold, the paths of the fields that differ; resources the proxy made from its own flags never count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfigViews, formatDifferences } from '../../control-plane/src/cli/ctl/config-diff.js';
import type { ConfigView } from '../../proto/src/model/config-view.js';

function view(resources: Array<Record<string, unknown>>, versions: Record<string, Record<string, string>> = {}, local: string[] = []): ConfigView {
  return { revision: 7, kinds: ['Cluster', 'Listener', 'Route'], resources: resources as never, versions, local };
}

const route = { kind: 'Route', name: 'web', hosts: ['a.example'], forward: { cluster: 'web' }, match: { pathPrefix: '/' } };
const cluster = { kind: 'Cluster', name: 'web', endpoints: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }] };

test('equal content is in sync; flag-made resources on the proxy are no difference', () => {
  const sidecar = { kind: 'Listener', name: 'sidecar-outbound', address: '127.0.0.1', port: 15001 };
  const d = diffConfigViews(view([cluster, sidecar, route], {}, ['Listener/sidecar-outbound']), view([cluster, route]));
  assert.deepEqual(d, []);
  assert.deepEqual(formatDifferences(d), ['in sync']);
});

test('missing, extra and different, with the path of each differing field', () => {
  const changedRoute = { ...route, hosts: ['a.example', 'b.example'], match: { pathPrefix: '/' }, timeoutMs: 500 };
  const changedCluster = { ...cluster, endpoints: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.3', port: 80 }] };
  const listener = { kind: 'Listener', name: 'front', address: '0.0.0.0', port: 8080 };
  const old = { kind: 'Route', name: 'gone', hosts: ['*'], forward: { cluster: 'web' } };
  const d = diffConfigViews(view([changedCluster, route, old]), view([cluster, listener, changedRoute]));
  assert.deepEqual(d, [
    { kind: 'Cluster', name: 'web', status: 'different', fields: [{ path: 'endpoints[1].address', effective: '10.0.0.3', intended: '10.0.0.2' }] },
    { kind: 'Listener', name: 'front', status: 'missing' },
    {
      kind: 'Route', name: 'web', status: 'different',
      fields: [{ path: 'hosts', effective: ['a.example'], intended: ['a.example', 'b.example'] }, { path: 'timeoutMs', intended: 500 }],
    },
    { kind: 'Route', name: 'gone', status: 'extra' },
  ]);
  assert.deepEqual(formatDifferences(d), [
    'clusters[web]: different',
    '  endpoints[1].address: "10.0.0.3" (intended: "10.0.0.2")',
    'listeners[front]: missing: the control plane intends it, the proxy does not run it',
    'routes[web]: different',
    '  hosts: ["a.example"] (intended: ["a.example","b.example"])',
    '  timeoutMs: (absent) (intended: 500)',
    'routes[gone]: extra: the proxy runs it, the control plane does not intend it',
  ]);
});

test('equal versions are equal content: not compared field by field', () => {
  const versions = { Route: { web: 'v1' } };
  // The same version on both sides: whatever the JSON says, the control plane sent that content.
  assert.deepEqual(diffConfigViews(view([{ ...route, hosts: ['x'] }], versions), view([route], versions)), []);
  assert.equal(diffConfigViews(view([{ ...route, hosts: ['x'] }], versions), view([route], { Route: { web: 'v2' } })).length, 1);
});
