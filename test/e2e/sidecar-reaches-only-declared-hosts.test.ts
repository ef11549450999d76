// End to end: a `sluice proxy` sidecar of service a (outbound listener) whose Sidecar declaration
// names b.mesh reaches b, and answers a call to the undeclared d.mesh with 404 `x-sluice-error:
// no-route` (its routes never arrived); declaring d.mesh through `sluice ctl apply` makes d reachable
// on the same proxy, without a restart. The built control plane on a throwaway etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { freePort } from '../support/free-port.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { httpAnswer } from '../support/http-answer.js';
import { startUpstream } from '../data-plane/helpers/fake-upstream.js';

interface Answer {
  readonly status: number;
  readonly error: string | undefined;
  readonly body: string;
}

/** A GET through the outbound listener for `host`, with the x-sluice-error header. */
function call(port: number, host: string): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, error: res.headers['x-sluice-error'] as string | undefined, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

test('a sidecar reaches the hosts its Sidecar declares; an undeclared host is 404 no-route until declared', { timeout: 60_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-scope-');
  const etcd = await EtcdCluster.start(1);
  const upstreams = await Promise.all(['b', 'd'].map((name) => startUpstream((_req, res) => res.end(`${name} answered`))));
  t.after(async () => {
    for (const u of upstreams) await u.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const [bPort, dPort] = upstreams.map((u) => u.port);
  const [apiPort, discoveryPort, adminPort, outboundPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;

  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile]);
  t.after(() => cp.stop());
  await until('the control plane', async () => {
    if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited (${cp.child.exitCode}):\n${cp.stderr}`);
    return (await httpAnswer(apiPort, '/readyz'))?.status === 200 ? true : undefined;
  });
  const ctlApply = async (yaml: string): Promise<void> => {
    const r = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  };
  const declare = (hosts: string[]): string => `kind: Sidecar
name: a-calls
selector: {service: a}
egress: {hosts: ${JSON.stringify(hosts)}}
`;
  await ctlApply(`${['b', 'd'].map((n, i) => `kind: Cluster
name: ${n}
endpoints: [{address: 127.0.0.1, port: ${[bPort, dPort][i]}}]
---
kind: Route
name: to-${n}
hosts: ["${n}.mesh"]
match: {pathPrefix: /}
forward: {cluster: ${n}}
---
`).join('')}${declare(['b.mesh'])}`);

  const proxy = new SluiceProcess(['proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'a-1', '--service', 'a', '--token-file', tokenFile,
    '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`, '--outbound-listen', `127.0.0.1:${outboundPort}`]);
  t.after(() => proxy.stop());
  await proxy.waitFor(/sluice proxy: ready/);

  const b = await until('b through the sidecar', async () => {
    const a = await call(outboundPort, 'b.mesh');
    return a?.status === 200 ? a : undefined;
  });
  assert.equal(b.body, 'b answered');
  const undeclared = await call(outboundPort, 'd.mesh');
  assert.equal(undeclared?.status, 404, JSON.stringify(undeclared));
  assert.equal(undeclared?.error, 'no-route');
  // The proxy never held d's route or cluster.
  const dump = await httpAnswer(adminPort, '/config_dump');
  assert.equal(dump?.status, 200);
  assert.ok(!dump!.body.includes('"to-d"') && dump!.body.includes('"to-b"'), dump!.body.slice(0, 2000));

  await ctlApply(declare(['b.mesh', 'd.mesh']));
  const d = await until('d through the sidecar once declared', async () => {
    const a = await call(outboundPort, 'd.mesh');
    return a?.status === 200 ? a : undefined;
  });
  assert.equal(d.body, 'd answered');
  assert.equal((await call(outboundPort, 'b.mesh'))?.status, 200);
  assert.equal(proxy.child.exitCode, null, 'the proxy kept running');
});
