// etcd's user authentication (`etcdctl auth enable`): with --etcd-user and --etcd-password-file the
// control plane works as a user whose role may read and write /sluice/ only; a wrong password makes it
// exit at start, naming the flags.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';

const LOCAL = ['--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0'];
const token = 'etcd-user-token-99';
let etcd: EtcdCluster;
let dir: string;
let tokenFile: string;

before(async () => {
  etcd = await EtcdCluster.start(1);
  dir = mkdtempSync(join(tmpdir(), 'sluice-etcd-user-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const ctl = (...args: string[]) => etcdctl(etcd.endpoints, ...args);
  await ctl('user', 'add', 'root:root-secret');
  await ctl('user', 'add', 'sluice:sluice-secret');
  await ctl('role', 'add', 'sluice-rw');
  await ctl('role', 'grant-permission', 'sluice-rw', 'readwrite', '/sluice/', '--prefix=true');
  await ctl('user', 'grant-role', 'sluice', 'sluice-rw');
  await ctl('auth', 'enable');
});

after(async () => {
  await etcd?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('as a user with read and write on /sluice/: applies and reads; etcd refuses anyone else', async () => {
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 'sluice-secret\n', { mode: 0o600 });
  const proc = new SluiceProcess(['control-plane', ...LOCAL, '--etcd', etcd.endpoints[0]!, '--etcd-user', 'sluice', '--etcd-password-file', passwordFile, '--token-file', tokenFile]);
  try {
    const url = JSON.parse((await proc.waitFor(/^.*"msg":"control plane ready".*$/m))[0]).api as string;
    assert.match(proc.stdout, /"user":"sluice"/);
    const applied = await runSluice(['ctl', '--server', url, '--token', token, 'apply', '-f', '-'], { stdin: 'kind: Cluster\nname: as-user\nendpoints:\n  - address: 127.0.0.1\n    port: 19081\n' });
    assert.equal(applied.code, 0, applied.stderr);
    const stored = await etcdctl(etcd.endpoints, '--user', 'sluice:sluice-secret', 'get', '/sluice/v1/clusters/as-user', '--print-value-only');
    assert.match(stored, /"name":"as-user"/);
    await assert.rejects(etcdctl(etcd.endpoints, 'get', '/sluice/v1/clusters/as-user'), /user name is empty|authentication/i, 'auth is really on');
  } finally {
    assert.equal(await proc.stop(), 0);
  }
});

test('a wrong password: exit 1 at start, naming --etcd-user and --etcd-password-file', async () => {
  const wrong = join(dir, 'wrong');
  writeFileSync(wrong, 'not-the-password', { mode: 0o600 });
  const res = await runSluice(['control-plane', ...LOCAL, '--etcd', etcd.endpoints[0]!, '--etcd-user', 'sluice', '--etcd-password-file', wrong, '--token-file', tokenFile], { timeoutMs: 30_000 });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /etcd refused the request \(authentication failed, invalid user ID or password\): check --etcd-user, --etcd-password-file/);
});
