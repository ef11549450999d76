// The whole path with real processes: `sluice control-plane` on real etcd with 4-second workload
// certificates, `sluice ctl token create --service web` printing a bootstrap token, and `sluice proxy
// --workers 2 --bootstrap-token-file` whose GET /certs shows the identity, a serial that changes as the
// certificate is renewed at half-life, and that every worker holds the current certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { cleanupStack } from '../support/cleanup-stack.js';

interface Certs {
  identity: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  chain: string[];
  workers: Array<string | null>;
}

test('a proxy with a bootstrap token shows its identity in /certs and renews its certificate at half-life', { timeout: 90_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-certs-');
  const cleanup = cleanupStack(t);
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const [apiPort, discoveryPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile, '--workload-cert-ttl-seconds', '4']);
  cleanup(() => cp.stop());
  await until('the control plane', async () => {
    if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited:\n${cp.stderr}`);
    return (await fetch(`${api}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined;
  });

  const created = await runSluice(['ctl', '--server', api, '--token', token, 'token', 'create', '--service', 'web']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^sluice-bt-[A-Za-z0-9_-]{43}\n?$/, 'the token alone, ready for a file');
  const bootstrapFile = join(dir, 'bootstrap-token');
  writeFileSync(bootstrapFile, created.stdout, { mode: 0o600 });
  const listed = await runSluice(['ctl', '--server', api, '--token', token, 'token', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^[0-9a-f]{16} +spiffe:\/\/sluice\.local\/svc\/web +\S+ +never$/m);
  assert.ok(!listed.stdout.includes(created.stdout.trim()), 'the list never shows a token');

  const proxy = new SluiceProcess(['proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'web-1', '--service', 'web', '--token-file', tokenFile,
    '--bootstrap-token-file', bootstrapFile, '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state')]);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  const certs = async (): Promise<Certs | undefined> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/certs`);
    return res.status === 200 ? (await res.json()) as Certs : undefined;
  };
  const first = await until(() => `a certificate in /certs:\n${proxy.stdout}\n${proxy.stderr}`, certs, 20_000);
  assert.equal(first.identity, 'spiffe://sluice.local/svc/web');
  assert.deepEqual(first.chain, ['O=sluice.local']);
  assert.match(first.serial, /^[0-9A-F]+$/);
  assert.ok(Date.parse(first.notAfter) > Date.now());
  await until('both workers to hold the first certificate', async () => (await certs())?.workers.filter((s) => s === first.serial).length === 2 || undefined, 10_000);

  // Four-second certificates are renewed about two seconds after they arrive.
  const renewed = await until('a renewed certificate', async () => {
    const now = await certs();
    return now !== undefined && now.serial !== first.serial ? now : undefined;
  }, 15_000);
  assert.equal(renewed.identity, first.identity);
  assert.ok(Date.parse(renewed.notAfter) > Date.parse(first.notAfter), 'the new certificate ends later');
  await until('both workers to hold a renewed certificate', async () => {
    const now = await certs();
    return now !== undefined && now.serial !== first.serial && now.workers.every((s) => s === now.serial) && now.workers.length === 2;
  }, 10_000);
  assert.doesNotMatch(proxy.stdout + proxy.stderr, /PRIVATE KEY/, 'the proxy never prints its key');
  assert.doesNotMatch(cp.stdout + cp.stderr, /PRIVATE KEY/, 'the control plane never logs a key');
});

test('/certs answers 404 on a proxy without a bootstrap token', async (t) => {
  const cleanup = cleanupStack(t);
  const { dir } = tokenDir('sluice-nocerts-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const adminPort = await freePort();
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, 'kind: Cluster\nname: none\n');
  const proxy = new SluiceProcess(['proxy', '--config', config, '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`]);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  await proxy.waitFor(/sluice proxy: ready/);
  const res = await fetch(`http://127.0.0.1:${adminPort}/certs`);
  assert.equal(res.status, 404);
  assert.match(((await res.json()) as { error: string }).error, /--bootstrap-token-file/);
});
