// `sluice control-plane` on an etcd that serves TLS and requires client certificates: with the flags it
// applies, serves and streams to proxies, private keys resting in etcd as ciphertext; without the
// client certificate (or trusting the wrong CA) it exits at once, saying which flag to check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EtcdCluster, type EtcdClientTls } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { exampleCertificates } from '../support/examples.js';
import { testKey, writeEncryptionKeyFile } from '../support/encryption-keys.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { TestPki } from '../support/test-pki.js';
import { until } from '../support/until.js';
import { startProxy, type TestProxy } from '../discovery/support/discovery-fixture.js';

const LOCAL = ['--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0'];
const token = 'tls-etcd-token-4321';
let etcd: EtcdCluster;
let tls: EtcdClientTls;
let dir: string;
let tokenFile: string;
let keyFile: string;
let certFile: string;
let plaintextKey: string;

before(async () => {
  etcd = await EtcdCluster.start(1, { tls: true });
  tls = etcd.tls!;
  dir = mkdtempSync(join(tmpdir(), 'sluice-etcd-tls-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  keyFile = writeEncryptionKeyFile(join(dir, 'keys.yaml'), [testKey('k1')]);
  const doc = exampleCertificates()[0]!;
  certFile = join(dir, 'cert.yaml');
  // A listener that serves it: only proxies that serve a certificate receive its key.
  writeFileSync(certFile, `${doc}\n---\nkind: Listener\nname: web-https\naddress: 127.0.0.1\nport: 0\nprotocol: HTTPS\ntls: {certificates: [web-local]}\n`);
  plaintextKey = (parse(doc) as { privateKey: string }).privateKey;
});

after(async () => {
  await etcd?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const etcdFlags = (): string[] => ['--etcd', etcd.endpoints.join(','), '--etcd-ca', tls.ca, '--etcd-cert', tls.cert, '--etcd-key', tls.key];

test('with the client certificate: apply and get work, a proxy receives the plaintext key, etcd holds ciphertext', async () => {
  const proc = new SluiceProcess(['control-plane', ...LOCAL, ...etcdFlags(), '--encryption-key-file', keyFile, '--token-file', tokenFile]);
  let proxy: TestProxy | undefined;
  try {
    const url = JSON.parse((await proc.waitFor(/^.*"msg":"control plane ready".*$/m))[0]).api as string;
    const discovery = JSON.parse((await proc.waitFor(/^.*"msg":"discovery gRPC listening".*$/m))[0]).discovery as string;
    assert.match(proc.stdout, /"tls":true/);
    assert.match(proc.stdout, /"sealingKey":"k1".*sealed with AES-256-GCM/);
    assert.doesNotMatch(proc.stdout, /stored in etcd in plaintext/);

    const ctl = (...args: string[]) => runSluice(['ctl', '--server', url, '--token-file', tokenFile, ...args]);
    const applied = await ctl('apply', '-f', certFile);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /certificate\/web-local created/);

    const stored = await etcdctl(etcd.endpoints, ...etcd.etcdctlFlags(), 'get', '/sluice/v1/certificates/web-local', '--print-value-only');
    const json = JSON.parse(stored) as { privateKey: string; certChain: string };
    assert.match(json.privateKey, /^sluice:aesgcm:v1:k1:/);
    assert.ok(!stored.includes('PRIVATE KEY') && !stored.includes(plaintextKey.split('\n')[1]!), 'no part of the key rests in etcd in the clear');
    assert.match(json.certChain, /BEGIN CERTIFICATE/, 'only the private key is sealed');

    // The API compares what it reads (opened) with what it is given: applying again changes nothing.
    const again = await ctl('apply', '-f', certFile);
    assert.match(again.stdout, /certificate\/web-local unchanged/);
    const got = await ctl('get', 'certificates', 'web-local', '-o', 'json');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).privateKey, '[redacted]');

    proxy = await startProxy([discovery], { nodeId: 'tls-etcd-proxy', token });
    await until('the proxy holds the certificate', () => proxy!.client.current.get('Certificate', 'web-local') !== undefined, 10_000);
    assert.equal(proxy.client.current.get('Certificate', 'web-local')!.privateKey, plaintextKey);
    assert.ok(!proc.stdout.includes(plaintextKey.split('\n')[1]!), 'the key is never logged');
  } finally {
    await proxy?.stop();
    assert.equal(await proc.stop(), 0);
  }
});

test('without the client certificate the control plane exits non-zero and names --etcd-cert', async () => {
  const started = Date.now();
  const res = await runSluice(['control-plane', ...LOCAL, '--etcd', etcd.endpoints.join(','), '--etcd-ca', tls.ca, '--token-file', tokenFile], { timeoutMs: 30_000 });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /etcd refused the TLS handshake \(.*alert (bad certificate|certificate required)\).*--etcd-cert, --etcd-key/);
  assert.ok(Date.now() - started < 20_000, `gave up after ${Date.now() - started} ms`);
});

test("trusting another CA than etcd's, the control plane exits non-zero and names --etcd-ca", async () => {
  const other = TestPki.create('not the etcd CA');
  try {
    const res = await runSluice(['control-plane', ...LOCAL, '--etcd', etcd.endpoints.join(','), '--etcd-ca', other.ca, '--etcd-cert', tls.cert, '--etcd-key', tls.key, '--token-file', tokenFile], { timeoutMs: 30_000 });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /etcd's certificate is not trusted \(.*\): pass the CA that signed it with --etcd-ca/);
  } finally {
    other.dispose();
  }
});

test('TLS flags without https:// URLs, half a pair, or a user without a password file are usage errors', async () => {
  for (const [args, message] of [
    [['--etcd', 'http://127.0.0.1:2379', '--etcd-ca', tls.ca], /every etcd URL must be https:\/\//],
    [['--etcd', etcd.endpoints[0]!, '--etcd-cert', tls.cert], /--etcd-cert and --etcd-key go together/],
    [['--etcd', etcd.endpoints[0]!, '--etcd-user', 'root'], /--etcd-user and --etcd-password-file go together/],
    [['--etcd-ca', tls.ca], /need --etcd/],
    [['--api-tls-cert', tls.cert], /--api-tls-cert and --api-tls-key go together/],
  ] as const) {
    const res = await runSluice(['control-plane', ...LOCAL, '--token-file', tokenFile, ...args]);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
  }
});
