// A proxy's --token-file is read again each time it opens the discovery stream: after its token file
// got a new workload token and the old one was revoked, a proxy whose control plane restarted
// reconnects with the new token (real etcd keeps the tokens across the restart; real gRPC; a real
// `sluice proxy` process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApi } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { startIdentityApi } from './support/identity-fixture.js';

test('a proxy reconnecting after a control-plane restart presents the token its file holds now', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-token-reconnect-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const etcd = await EtcdCluster.start();
  cleanup(() => etcd.stop());
  let api: TestApi = await startIdentityApi({ kind: 'etcd', endpoints: etcd.endpoints });
  cleanup(() => api.stop());
  const discovery = api.controlPlane.discovery!.address;
  const newToken = async (): Promise<{ id: string; token: string }> => {
    const res = await api.request('POST', '/v1/tokens', { body: { service: 'web' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; token: string };
  };
  const tokenFile = join(dir, 'token');
  const writeToken = (token: string): void => {
    writeFileSync(`${tokenFile}.tmp`, `${token}\n`, { mode: 0o600 });
    renameSync(`${tokenFile}.tmp`, tokenFile);
  };
  const connected = (logs: readonly string[]): boolean => logs.some((l) => l.includes('"node":"web-1"') && l.includes('"identity":"spiffe://sluice.local/svc/web"') && l.includes('proxy connected'));
  const first = await newToken();
  writeToken(first.token);

  const proxy = new SluiceProcess(['proxy', '--control-plane', discovery, '--node-id', 'web-1', '--service', 'web', '--token-file', tokenFile,
    '--workers', '1', '--admin-listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--initial-fetch-timeout-ms', '500']);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  await until(() => `the proxy's stream with the first token:\n${proxy.stderr}`, () => connected(api.logs) || undefined, 20_000);

  const second = await newToken();
  writeToken(second.token);
  assert.equal((await api.delete(`/v1/tokens/${first.id}`)).status, 200);
  // The stream stays open on its first token; a new control plane (same etcd, same port) makes the proxy reconnect.
  await api.stop();
  const [host, port] = [discovery.slice(0, discovery.lastIndexOf(':')), Number(discovery.slice(discovery.lastIndexOf(':') + 1))];
  api = await startIdentityApi({ kind: 'etcd', endpoints: etcd.endpoints }, { discoveryListen: { host, port } });
  await until(() => `the proxy to reconnect with the second token:\n${proxy.stderr}`, () => connected(api.logs) || undefined, 20_000);
  assert.ok(!api.logs.some((l) => l.includes('discovery stream refused')), 'the revoked token was never presented to the new control plane');
});
