// End to end, as an operator runs it: the built `sluice control-plane` on a throwaway etcd, a
// `sluice proxy --control-plane ... --workers 2`, a fake upstream. Configuration applied with
// `sluice ctl apply` reaches traffic; /v1/rollout reports the proxy at the revision, and a listener
// the proxy cannot open (its port is taken) as a NACK while the last good configuration keeps serving;
// the control plane killed, the proxy keeps serving and stays ready, and a proxy restarted meanwhile
// starts from its --state-dir; the control plane restarted, a new route arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { httpAnswer, type HttpAnswer } from '../support/http-answer.js';

const get = (port: number, path: string, host = '127.0.0.1'): Promise<HttpAnswer | undefined> => httpAnswer(port, path, { headers: { host } });

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

test('a proxy with 2 workers follows the control plane: traffic, rollout, NACK, outage and restart', { timeout: 60_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-e2e-');
  const etcd = await EtcdCluster.start(1);
  const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}`));
  const blocker = createServer(); // holds a port, so a listener on it cannot open
  t.after(async () => {
    upstream.close();
    blocker.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const upstreamPort = await listen(upstream);
  const takenPort = await listen(blocker);
  const [apiPort, discoveryPort, adminPort, listenerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = { authorization: `Bearer ${token}` };

  const startControlPlane = async (): Promise<SluiceProcess> => {
    const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile]);
    await until('the control plane', async () => {
      if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited (${cp.child.exitCode}):\n${cp.stderr}\n${cp.stdout.slice(-2000)}`);
      return (await get(apiPort, '/readyz'))?.status === 200 ? true : undefined;
    });
    return cp;
  };
  const ctlApply = async (yaml: string): Promise<void> => {
    const r = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  };
  const rollout = async (): Promise<{ revision: number; proxies: number; at: number; rejecting: number; errors: Array<{ nodeId: string; error: string }> }> =>
    (await fetch(`${api}/v1/rollout`, { headers: auth })).json() as never;

  let controlPlane = await startControlPlane();
  const startProxy = (): SluiceProcess =>
    new SluiceProcess([
      'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'e2e-proxy', '--service', 'e2e', '--zone', 'z1',
      '--token-file', tokenFile, '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state'),
    ]);
  let proxy = startProxy();
  t.after(async () => {
    await proxy.stop();
    await controlPlane.stop();
  });
  await proxy.waitFor(/sluice proxy: ready/);
  assert.equal((await get(adminPort, '/live'))?.status, 200);

  // 1. Cluster, route and listener through `sluice ctl apply`: traffic reaches the upstream.
  await ctlApply(`kind: Cluster
name: e2e-up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: e2e
hosts: ["e2e.local"]
match: {pathPrefix: /}
forward: {cluster: e2e-up}
---
kind: Listener
name: e2e
address: 127.0.0.1
port: ${listenerPort}
`);
  const first = await until('traffic through the proxy', async () => {
    const a = await get(listenerPort, '/hello', 'e2e.local');
    return a?.status === 200 ? a : undefined;
  });
  assert.equal(first.body, 'upstream saw /hello');
  assert.equal((await get(adminPort, '/ready'))?.status, 200);

  // 2. /v1/rollout: the proxy runs the current revision.
  const at = await until('the proxy at the revision in /v1/rollout', async () => {
    const r = await rollout();
    return r.proxies === 1 && r.at === 1 ? r : undefined;
  });
  assert.equal(at.rejecting, 0);

  // 3. A listener on a port taken on this machine: valid for the control plane, NACKed by the proxy.
  await ctlApply(`kind: Listener\nname: taken\naddress: 127.0.0.1\nport: ${takenPort}\n`);
  const nacked = await until('the NACK in /v1/rollout', async () => {
    const r = await rollout();
    return r.rejecting === 1 ? r : undefined;
  });
  assert.equal(nacked.errors[0]?.nodeId, 'e2e-proxy');
  assert.match(nacked.errors[0]?.error ?? '', /listeners\[taken\]\.port: cannot listen on .*EADDRINUSE/, JSON.stringify(nacked));
  assert.equal((await get(listenerPort, '/still', 'e2e.local'))?.body, 'upstream saw /still', 'the last good configuration keeps serving');
  assert.equal((await get(adminPort, '/ready'))?.status, 200);

  // 4. The control plane is killed: the proxy keeps serving and stays ready.
  await stopChild(controlPlane.child, 0, 'SIGKILL');
  for (let i = 0; i < 10; i++) {
    assert.equal((await get(listenerPort, `/outage/${i}`, 'e2e.local'))?.body, `upstream saw /outage/${i}`);
    assert.equal((await get(adminPort, '/ready'))?.status, 200);
    await new Promise((r) => setTimeout(r, 150));
  }
  // Restarted during the outage, the proxy starts from the last good configuration in --state-dir.
  await proxy.stop();
  proxy = startProxy();
  await proxy.waitFor(/sluice proxy: ready/);
  assert.equal((await get(adminPort, '/ready'))?.status, 200, 'ready from the configuration on disk');
  assert.equal((await get(listenerPort, '/from-disk', 'e2e.local'))?.body, 'upstream saw /from-disk');

  // 5. Back: a new route reaches the proxy over the reconnected stream.
  controlPlane = await startControlPlane();
  await ctlApply(`kind: Route
name: e2e-new
hosts: ["new.e2e.local"]
match: {pathExact: /new}
respond: {status: 200, body: "new route"}
`);
  const fresh = await until('the new route after the restart', async () => {
    const a = await get(listenerPort, '/new', 'new.e2e.local');
    return a?.status === 200 ? a : undefined;
  }, 15_000);
  assert.equal(fresh.body, 'new route');
  assert.equal((await get(listenerPort, '/old', 'e2e.local'))?.body, 'upstream saw /old');
});
