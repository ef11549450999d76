// Rotating the encryption key on a TLS etcd: add a new key first, re-encrypt (`sluice ctl reencrypt`),
// drop the old key; every private key still reads, etcdctl shows the new key's name, and versions (the
// content hashes proxies compare) never change. A replica missing the key that sealed a value refuses
// to start, naming the resource and the key; a running one keeps its last state rather than drop it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AesGcmSealer, type EncryptionKey } from '../../control-plane/src/identity/aes-gcm-sealer.js';
import { ControlPlaneError } from '../../control-plane/src/errors.js';
import type { EtcdCredentials } from '../../control-plane/src/store/etcd-client.js';
import { encodeResource } from '../../proto/src/wire/encoded-resource.js';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { exampleCertificates } from '../support/examples.js';
import { testKey, writeEncryptionKeyFile } from '../support/encryption-keys.js';
import { runSluice } from '../support/run-sluice.js';
import { until } from '../support/until.js';

const oldKey = testKey('key-old');
const newKey = testKey('key-new');
const NAMES = ['web-local', 'api-local'];
let etcd: EtcdCluster;
let credentials: EtcdCredentials;
let dir: string;
let plaintext: Map<string, string>;

before(async () => {
  etcd = await EtcdCluster.start(1, { tls: true });
  const t = etcd.tls!;
  credentials = { ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key) };
  dir = mkdtempSync(join(tmpdir(), 'sluice-rotation-'));
  plaintext = new Map(exampleCertificates().slice(0, 2).map((doc) => {
    const { name, privateKey } = parse(doc) as { name: string; privateKey: string };
    return [name, privateKey];
  }));
  assert.deepEqual([...plaintext.keys()], NAMES);
});

after(async () => {
  await etcd?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const replica = (keys: readonly EncryptionKey[]): Promise<TestApi> =>
  TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints }, { etcdCredentials: credentials, sealer: new AesGcmSealer(keys) });

/** The key name each stored private key is sealed with, read with etcdctl as an operator would. */
async function sealedWith(): Promise<string[]> {
  return await Promise.all(NAMES.map(async (name) => {
    const value = JSON.parse(await etcdctl(etcd.endpoints, ...etcd.etcdctlFlags(), 'get', `/sluice/v1/certificates/${name}`, '--print-value-only')) as { privateKey: string };
    assert.ok(!value.privateKey.includes('PRIVATE KEY'), `${name} rests sealed`);
    return /^sluice:aesgcm:v1:([^:]+):/.exec(value.privateKey)?.[1] ?? 'plaintext';
  }));
}

function readBack(api: TestApi): { keys: Map<string, string>; versions: Map<string, string> } {
  const keys = new Map<string, string>();
  const versions = new Map<string, string>();
  for (const name of NAMES) {
    const stored = api.controlPlane.resourceCache.get('Certificate', name);
    assert.ok(stored !== undefined, `${name} is in the cache`);
    assert.equal(stored.resource.kind, 'Certificate');
    keys.set(name, stored.resource.kind === 'Certificate' ? stored.resource.spec.privateKey : '');
    versions.set(name, encodeResource(stored.resource).version);
  }
  return { keys, versions };
}

test('add a new key first, re-encrypt, drop the old key: every key still reads, etcd names the new key, versions stay', async () => {
  const first = await replica([oldKey]);
  let versions: Map<string, string>;
  try {
    assert.equal((await first.apply(exampleCertificates().slice(0, 2).join('\n---\n'))).status, 200);
    assert.deepEqual(await sealedWith(), ['key-old', 'key-old']);
    ({ versions } = readBack(first));
  } finally {
    await first.stop();
  }

  const keyFile = writeEncryptionKeyFile(join(dir, 'keys.yaml'), [newKey, oldKey]);
  assert.match(readFileSync(keyFile, 'utf8'), /name: key-new[\s\S]*name: key-old/);
  const rotating = await replica([newKey, oldKey]);
  try {
    assert.deepEqual(readBack(rotating).keys, plaintext, 'values sealed with the old key open with it second');
    const res = await runSluice(['ctl', '--server', rotating.url, '--token', TEST_TOKEN, 'reencrypt']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^2 certificates rewritten, private keys sealed with key "key-new"\nrevision \d+$/m);
    assert.deepEqual(await sealedWith(), ['key-new', 'key-new']);
    const after = readBack(rotating);
    assert.deepEqual(after.keys, plaintext);
    assert.deepEqual(after.versions, versions, 're-encryption changes no version: proxies get nothing new');
  } finally {
    await rotating.stop();
  }

  const rotated = await replica([newKey]);
  try {
    const back = readBack(rotated);
    assert.deepEqual(back.keys, plaintext, 'the old key is no longer needed');
    assert.deepEqual(back.versions, versions);
  } finally {
    await rotated.stop();
  }
});

test('a replica without the key that sealed a value refuses to start, naming the resource and the key', async () => {
  // After the first test every value is sealed with key-new.
  await assert.rejects(replica([oldKey]), (err: unknown) => err instanceof ControlPlaneError && err.code === 'SLUICE_SECRET_UNREADABLE' &&
    /^certificates\[(web|api)-local\]\.privateKey cannot be read: it is sealed with encryption key "key-new", which is not configured: the configured keys are "key-old"$/.test(err.message));
  // As a process: exit 1 with the same words; no key file at all says that too.
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TEST_TOKEN);
  const t = etcd.tls!;
  const run = (extra: string[]) => runSluice(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--token-file', tokenFile,
    '--etcd', etcd.endpoints[0]!, '--etcd-ca', t.ca, '--etcd-cert', t.cert, '--etcd-key', t.key, ...extra], { timeoutMs: 20_000 });
  const wrongFile = writeEncryptionKeyFile(join(dir, 'old-only.yaml'), [oldKey]);
  const wrong = await run(['--encryption-key-file', wrongFile]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /certificates\[(web|api)-local\]\.privateKey cannot be read: it is sealed with encryption key "key-new", which is not configured/);
  const none = await run([]);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /sealed with encryption key "key-new", which is not configured: no encryption key is configured \(--encryption-key-file\)/);
});

test('a running replica that meets a value sealed with a key it lacks keeps its last state and says why', async () => {
  const lagging = await replica([newKey]);
  const ahead = await replica([testKey('key-next'), newKey]);
  try {
    const before = readBack(lagging).keys;
    // The other replica re-encrypts with a key this one does not have.
    const res = await ahead.request('POST', '/v1/reencrypt');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.sealingKey, 'key-next');
    await until('the lagging replica reports the key it lacks', () => lagging.logs.some((l) => l.includes('SLUICE_SECRET_UNREADABLE') && l.includes('key-next')), 10_000);
    assert.equal(lagging.controlPlane.resourceCache.live, false, 'it stopped following the store');
    assert.deepEqual(readBack(lagging).keys, before, 'and still serves every certificate it had, with its key');
    const read = await lagging.get('/v1/certificates/web-local');
    assert.equal(read.status, 200);
  } finally {
    await ahead.stop();
    await lagging.stop();
  }
});
