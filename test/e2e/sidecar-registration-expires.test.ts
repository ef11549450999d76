// A sidecar's registration lives with its discovery stream. The built `sluice
// control-plane` on a real etcd (--lease-ttl-seconds 3); a `sluice proxy --service hello --app-port
// ... --inbound-listen ...` sidecar registers; another `sluice proxy` sees the endpoint in the Endpoints
// of cluster `hello` (/config_dump). SIGKILL the sidecar: the endpoint is gone within the lease TTL
// (+ margin). A second sidecar stopped with SIGTERM turns DRAINING first, then goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { cleanupStack } from '../support/cleanup-stack.js';

const TTL_SECONDS = 3;

interface DumpedEndpoint {
  readonly address: string;
  readonly port: number;
  readonly health?: string;
}


test('a SIGKILLed sidecar is gone within the lease TTL; a SIGTERMed one turns DRAINING first', { timeout: 90_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-registration-');
  const cleanup = cleanupStack(t);
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const [apiPort, discoveryPort, observerAdmin] = [await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile, '--lease-ttl-seconds', String(TTL_SECONDS)]);
  cleanup(() => cp.stop());
  await until('the control plane', async () => {
    if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited:\n${cp.stderr}`);
    return (await fetch(`${api}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined;
  });
  const apply = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], { stdin: 'kind: Cluster\nname: hello\n' });
  assert.equal(apply.code, 0, apply.stderr);

  const proxy = (nodeId: string, extra: string[]): SluiceProcess => {
    const p = new SluiceProcess(['proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', nodeId, '--token-file', tokenFile, '--workers', '1', '--state-dir', join(dir, nodeId), ...extra]);
    cleanup(() => stopChild(p.child, 0, 'SIGKILL'));
    return p;
  };
  const observer = proxy('observer', ['--service', 'caller', '--admin-listen', `127.0.0.1:${observerAdmin}`]);
  await observer.waitFor(/sluice proxy: ready/);
  const helloEndpoints = async (): Promise<DumpedEndpoint[]> => {
    const dump = (await (await fetch(`http://127.0.0.1:${observerAdmin}/config_dump`)).json()) as { resources: Array<{ kind: string; name: string; endpoints?: DumpedEndpoint[] }> };
    return dump.resources.find((r) => r.kind === 'Endpoints' && r.name === 'hello')?.endpoints ?? [];
  };
  const sidecar = async (nodeId: string): Promise<{ process: SluiceProcess; port: number }> => {
    const [appPort, inboundPort] = [await freePort(), await freePort()];
    const p = proxy(nodeId, ['--service', 'hello', '--app-port', String(appPort), '--inbound-listen', `127.0.0.1:${inboundPort}`, '--register-address', '127.0.0.1', '--admin-listen', 'off', '--drain-timeout-ms', '200']);
    await p.waitFor(/sluice proxy: ready/);
    return { process: p, port: inboundPort };
  };
  const registered = (port: number) => async (): Promise<DumpedEndpoint | undefined> => (await helloEndpoints()).find((e) => e.address === '127.0.0.1' && e.port === port);

  // 1. The sidecar registers its inbound port; the observer receives it, and etcd holds it as JSON.
  const first = await sidecar('hello-1');
  const seen = await until('the sidecar in the observer\'s Endpoints of hello', registered(first.port));
  assert.notEqual(seen.health, 'DRAINING');
  const stored = JSON.parse(await etcdctl(etcd.endpoints, 'get', '--print-value-only', '/sluice/registrations/hello/hello-1')) as { address: string; port: number; nodeId: string };
  assert.deepEqual([stored.address, stored.port, stored.nodeId], ['127.0.0.1', first.port, 'hello-1']);

  // 2. SIGKILL: no goodbye; the registration expires with its lease.
  const killedAt = Date.now();
  await stopChild(first.process.child, 0, 'SIGKILL');
  await until('the killed sidecar gone from the observer', async () => ((await registered(first.port)()) === undefined ? true : undefined), (TTL_SECONDS + 10) * 1000);
  const goneMs = Date.now() - killedAt;
  t.diagnostic(`SIGKILLed sidecar gone from another proxy's Endpoints after ${goneMs} ms (lease TTL ${TTL_SECONDS} s)`);
  assert.ok(goneMs <= TTL_SECONDS * 1000 + 4000, `gone after ${goneMs} ms, more than the TTL + 4 s`);
  assert.ok(goneMs >= 1000, `gone after ${goneMs} ms: too soon for an expiry, so not the lease that removed it`);

  // 3. SIGTERM: DRAINING first (while connections drain and the lease runs out), then gone.
  const second = await sidecar('hello-2');
  await until('the second sidecar registered', registered(second.port));
  const termAt = Date.now();
  second.process.child.kill('SIGTERM');
  const draining = await until('the sidecar DRAINING at the observer', async () => {
    const e = await registered(second.port)();
    return e?.health === 'DRAINING' ? e : undefined;
  }, 10_000, 25);
  t.diagnostic(`SIGTERMed sidecar DRAINING at another proxy after ${Date.now() - termAt} ms`);
  assert.equal(draining.health, 'DRAINING');
  await until('the stopped sidecar gone', async () => ((await registered(second.port)()) === undefined ? true : undefined), (TTL_SECONDS + 10) * 1000);
  t.diagnostic(`SIGTERMed sidecar gone after ${Date.now() - termAt} ms`);
  const health = (await (await fetch(`${api}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { registrations: unknown[] };
  assert.deepEqual(health.registrations, [], 'no registration left in GET /v1/health');
});
