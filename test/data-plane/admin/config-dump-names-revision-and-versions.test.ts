// A proxy following the control plane says in /config_dump what it runs, as Envoy's config_dump does
// with version_info: the control-plane revision it applied and each resource's version, the content
// hash the control plane sent (proto/src/wire/encoded-resource.ts). An operator (or the
// chaos run) can then tell a proxy that is behind from one that runs the last write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specFromJson } from '../../../proto/src/model/resource-json.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { encodeResource } from '../../../proto/src/wire/encoded-resource.js';
import { freePort } from '../../support/free-port.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';

interface Dump {
  revision?: number;
  versions?: Record<string, Record<string, string>>;
  resources: Array<{ kind: string; name: string }>;
}

test('/config_dump names the revision in service and the version of every resource', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-dump-'));
  const token = 'config-dump-token-0123456789';
  writeFileSync(join(dir, 'token'), `${token}\n`);
  const [apiPort, discoveryPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const cp = new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', join(dir, 'token'), '--log-level', 'warn']);
  const proxy = new SluiceProcess([
    'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'dumped', '--token-file', join(dir, 'token'),
    '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state'), '--initial-fetch-timeout-ms', '500',
  ]);
  t.after(async () => {
    await proxy.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  await until('the control plane ready', async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined));
  await proxy.waitFor(/sluice proxy: ready/, 20_000);
  const dump = async (): Promise<Dump> => (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as Dump;

  const put = async (kind: string, body: object): Promise<number> => {
    const res = await fetch(`${api}/v1/${kind}/${(body as { name: string }).name}`, { method: 'PUT', headers: auth, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${kind}: ${res.status} ${text}`);
    return (JSON.parse(text) as { revision: number }).revision;
  };
  await put('clusters', { name: 'app', endpoints: [{ address: '127.0.0.1', port: 9 }] });
  const last = await put('routes', { name: 'all', hosts: ['*'], forward: { cluster: 'app' } });
  // Each kind comes in its own response, clusters first, each labelled with the snapshot's revision:
  // the proxy shows revision `last` once the Cluster response is in, and holds all of it after the
  // Route response.
  const got = await until(`the proxy at revision ${last} with the route`, async () => {
    const d = await dump();
    return d.revision === last && d.versions?.['Route']?.['all'] !== undefined ? d : undefined;
  }, 20_000);

  // Each version is the hash of what the API holds: the control plane's encoding of the stored resource.
  const expected: Record<string, Record<string, string>> = {};
  for (const kind of ['clusters', 'routes']) {
    const list = (await (await fetch(`${api}/v1/${kind}`, { headers: auth })).json()) as { resources: Array<Record<string, unknown>> };
    for (const { kind: k, revision: _revision, ...spec } of list.resources) {
      const resource = specFromJson(k as Kind, spec);
      (expected[k as string] ??= {})[resource.spec.name] = encodeResource(resource).version;
    }
  }
  assert.deepEqual(got.versions, expected);
  assert.deepEqual(got.resources.map((r) => `${r.kind}/${r.name}`).sort(), ['Cluster/app', 'Route/all']);

  // A change moves both: the revision, and the version of the one resource that changed.
  const changed = await put('routes', { name: 'all', hosts: ['*'], forward: { cluster: 'app' }, timeoutMs: 1234 });
  const after = await until(`the proxy at revision ${changed}`, async () => {
    const d = await dump();
    return d.revision === changed ? d : undefined;
  }, 20_000);
  assert.equal(after.versions?.['Cluster']?.['app'], expected['Cluster']!['app']);
  assert.notEqual(after.versions?.['Route']?.['all'], expected['Route']!['all']);
});
