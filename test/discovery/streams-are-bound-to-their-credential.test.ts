// Discovery streams authenticate through the WorkloadAuthenticator: a stream with no credential is
// refused (UNAUTHENTICATED), a workload credential holds only for the service it is scoped to
// (PERMISSION_DENIED otherwise), an admin API token with the admin role still works (the single-machine
// path, warned about once per stream), viewer and editor tokens do not, and a workload credential is
// no admin token: the admin API answers it 401.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceProcess } from '../support/run-sluice.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { ADMIN, EDITOR, ROLE_TOKENS, VIEWER } from '../support/role-tokens.js';
import { cluster, RawStream, startProxy, startReplica, TEST_TOKEN, type Replica } from './support/discovery-fixture.js';
import { MapAuthenticator } from './support/map-authenticator.js';

const WEB_TOKEN = 'bootstrap-web-6f2a91c4';
const TEST_SERVICE_TOKEN = 'bootstrap-test-0d83be57';
const ADMIN_PATH_WARNING = 'discovery stream authenticated with an admin API token';

const authenticator = new MapAuthenticator(new Map([
  [WEB_TOKEN, MapAuthenticator.service('web')],
  [TEST_SERVICE_TOKEN, MapAuthenticator.service('test')],
]));
let etcd: EtcdCluster;
let cp: Replica;

before(async () => {
  etcd = await EtcdCluster.start();
  cp = await startReplica(etcd, { authenticator, tokens: ROLE_TOKENS });
  await cp.api.apply([cluster('web')]);
});

after(async () => {
  await cp?.stop();
  await etcd?.stop();
});

/** Opens a raw stream with `token`, sends the first request of node `id` of `service`. */
function openStream(token: string | null, id: string, service: string): RawStream {
  const stream = new RawStream(cp.address, token);
  stream.send({ node: { id, service }, type: 'Cluster', subscribe: ['*'] });
  return stream;
}

async function assertRefused(token: string | null, service: string, code: status, details: RegExp): Promise<void> {
  const stream = openStream(token, `refused-${service}`, service);
  try {
    let ended: { code: status; details: string } | undefined;
    void stream.status.then((s) => (ended = s));
    await until(`the stream of a ${service} node is closed`, () => ended !== undefined, 8_000);
    const s = ended!;
    assert.equal(s.code, code, `${s.code} ${s.details}`);
    assert.match(s.details, details);
    assert.equal(stream.responses.length, 0, 'a refused stream gets no configuration');
  } finally {
    stream.close();
  }
}

test('a stream without credentials, or with a token nobody issued, is refused with UNAUTHENTICATED', async () => {
  await assertRefused(null, 'web', status.UNAUTHENTICATED, /missing authorization/);
  await assertRefused('bootstrap-forged-000000', 'web', status.UNAUTHENTICATED, /not valid/);
  assert.deepEqual((await cp.api.get('/v1/proxies')).body.proxies, []);
});

test('a workload credential opens a stream for its own service and gets its configuration', async () => {
  const stream = openStream(WEB_TOKEN, 'web-1', 'web');
  try {
    const first = await stream.response(0);
    assert.equal(first.type, 'Cluster');
    assert.deepEqual(first.resources.map((r) => r.name), ['web']);
    await until('web-1 listed', async () => (await cp.api.get('/v1/proxies')).body.proxies.some((p: { nodeId: string }) => p.nodeId === 'web-1'));
    assert.ok(cp.logs.some((l) => l.includes('"proxy connected"') && l.includes('"identity":"spiffe://sluice.local/svc/web"')));
  } finally {
    stream.close();
  }
});

test('a node that says --service payments with a credential scoped to web is refused with PERMISSION_DENIED', async () => {
  await assertRefused(WEB_TOKEN, 'payments', status.PERMISSION_DENIED, /says --service "payments", but its credential is scoped to service "web" \(spiffe:\/\/sluice\.local\/svc\/web\)/);
  await assertRefused(WEB_TOKEN, '', status.PERMISSION_DENIED, /names no --service/);
});

test('the real DiscoveryClient with a workload credential applies the configuration', async () => {
  const proxy = await startProxy([cp.address], { nodeId: 'test-1', token: TEST_SERVICE_TOKEN });
  try {
    await until('the proxy applied a configuration', () => proxy.applied.length > 0);
    assert.ok(proxy.applied.at(-1)!.set.has('Cluster', 'web'));
  } finally {
    await proxy.stop();
  }
});

test('requests sent while the credential is still being checked are answered once it passes', async () => {
  authenticator.hold();
  const before = authenticator.checked.length;
  const stream = openStream(WEB_TOKEN, 'web-slow', 'web');
  try {
    await until('the check started', () => authenticator.checked.length > before);
    authenticator.release();
    assert.equal((await stream.response(0)).type, 'Cluster');
  } finally {
    authenticator.release();
    stream.close();
  }
});

test('an admin token (the --token-file one or a named admin) still opens streams, with one warning per stream', async () => {
  const warningsBefore = cp.logs.filter((l) => l.includes(ADMIN_PATH_WARNING)).length;
  const streams = [openStream(TEST_TOKEN, 'legacy-1', 'anything'), openStream(ADMIN.token, 'legacy-2', 'other')];
  try {
    for (const s of streams) assert.equal((await s.response(0)).type, 'Cluster');
    // Further requests on the same streams (ACKs) add no warning.
    for (const s of streams) s.ack(s.responses[0]!);
    await until('both streams acked', async () => (await cp.api.get('/v1/proxies')).body.proxies.filter((p: { nodeId: string; ackedRevision: number }) => p.nodeId.startsWith('legacy-') && p.ackedRevision > 0).length === 2);
    const warnings = cp.logs.filter((l) => l.includes(ADMIN_PATH_WARNING)).slice(warningsBefore).map((l) => JSON.parse(l) as { level: number; actor: string });
    assert.deepEqual(warnings.map((w) => [w.level, w.actor]).sort(), [[40, 'ada-admin'], [40, 'admin']]);
  } finally {
    for (const s of streams) s.close();
  }
});

test('viewer and editor API tokens are refused on the discovery port with PERMISSION_DENIED', async () => {
  await assertRefused(VIEWER.token, 'web', status.PERMISSION_DENIED, /"vera-viewer" has the viewer role/);
  await assertRefused(EDITOR.token, 'web', status.PERMISSION_DENIED, /"ci-bot" has the editor role/);
});

test('a workload credential is not an admin API token: 401 on reads and writes', async () => {
  for (const [method, path] of [['GET', '/v1/clusters'], ['POST', '/v1/apply'], ['GET', '/v1/whoami']] as const) {
    const res = await cp.api.request(method, path, { token: WEB_TOKEN, ...(method === 'POST' ? { body: { resources: [cluster('taken')] } } : {}) });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.body.code, 'SLUICE_UNAUTHENTICATED');
  }
  assert.equal((await cp.api.get('/v1/clusters/taken')).status, 404);
});

test('a real proxy whose credential is refused says so on stderr, with the control plane\'s reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-refused-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${WEB_TOKEN}\n`, { mode: 0o600 });
  const proxy = new SluiceProcess(['proxy', '--control-plane', cp.address, '--node-id', 'payments-1', '--service', 'payments', '--token-file', tokenFile,
    '--admin-listen', '127.0.0.1:0', '--state-dir', dir]);
  t.after(() => proxy.stop());
  await proxy.waitFor(/refused this proxy's credential: node "payments-1" says --service "payments", but its credential is scoped to service "web"/, 15_000, 'stderr');
});
