// Policies end to end, as an operator runs them: `sluice control-plane` on a throwaway etcd, `sluice
// proxy --service web --workers 2` following it, `sluice ctl apply`. A DENY policy for the proxy's
// service turns calls into 403 rbac-denied within propagation, on a connection opened before it; a
// policy selecting another service changes nothing; a dry-run policy is counted, never enforced; the
// access log names the deciding policy; deleting the policy lets the calls through again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Client } from 'undici';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { freePort } from '../support/free-port.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { tokenDir } from '../support/token-file.js';
import { httpAnswer } from '../support/http-answer.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

test('a DENY policy applied through the control plane denies within propagation, live, and goes away on delete', { timeout: 60_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-policy-e2e-');
  const etcd = await EtcdCluster.start(1);
  const upstream = createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
  t.after(async () => {
    upstream.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const upstreamPort = await listen(upstream);
  const [apiPort, discoveryPort, adminPort, listenerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const accessLog = join(dir, 'access.log');

  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile]);
  t.after(() => cp.stop());
  await until('the control plane', async () => ((await httpAnswer(apiPort, '/readyz'))?.status === 200 ? true : undefined));
  const ctl = async (args: string[], stdin?: string): Promise<void> => {
    const r = await runSluice(['ctl', '--server', api, '--token', token, ...args], stdin === undefined ? {} : { stdin });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  };
  await ctl(['apply', '-f', '-'], `kind: Cluster
name: web-up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: web
hosts: ["web.local"]
match: {pathPrefix: /}
forward: {cluster: web-up}
---
kind: Listener
name: web
address: 127.0.0.1
port: ${listenerPort}
`);
  const proxy = new SluiceProcess([
    'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'policy-e2e', '--service', 'web', '--namespace', 'shop',
    '--token-file', tokenFile, '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state'), '--access-log', accessLog,
  ]);
  t.after(() => proxy.stop());
  await proxy.waitFor(/sluice proxy: ready/);

  // One keep-alive connection for the whole test: policy updates must reach it without a reconnect.
  let connects = 0;
  const client = new Client(`http://127.0.0.1:${listenerPort}`, { keepAliveTimeout: 60_000 });
  client.on('connect', () => connects++);
  t.after(() => client.close());
  const call = async (path: string, method = 'GET'): Promise<string> => {
    const res = await client.request({ path, method, headers: { host: 'web.local' } });
    const body = await res.body.text();
    return `${res.statusCode} ${res.headers['x-sluice-error'] ?? body}`;
  };
  await until('traffic through the proxy', async () => (await call('/admin/users')) === '200 upstream saw GET /admin/users');

  await ctl(['apply', '-f', '-'], `kind: AuthorizationPolicy
name: web-deny-admin
selector: {service: web}
action: DENY
rules:
  - to: [{paths: ["/admin/*"]}]
---
kind: AuthorizationPolicy
name: api-deny-all
selector: {service: api}
action: DENY
rules: [{}]
---
kind: AuthorizationPolicy
name: shop-audit-writes
selector: {namespace: shop}
action: DENY
dryRun: true
rules:
  - to: [{methods: [POST]}]
`);
  const started = Date.now();
  await until('the DENY policy reaches the proxy', async () => (await call('/admin/users')) === '403 rbac-denied', 10_000);
  const propagationMs = Date.now() - started;
  for (let i = 0; i < 4; i++) {
    // New connections, which the two workers share: each enforces it.
    const a = await httpAnswer(listenerPort, '/admin/users', { headers: { host: 'web.local' } });
    assert.equal(`${a?.status} ${a?.body.trim()}`, '403 rbac-denied: access denied');
  }
  assert.equal(await call('/shop'), '200 upstream saw GET /shop', 'the policy for service api does not apply');
  assert.equal(await call('/orders', 'POST'), '200 upstream saw POST /orders', 'dry run never denies');

  const metrics = await until('the decisions in /metrics', async () => {
    const text = (await httpAnswer(adminPort, '/metrics'))?.body ?? '';
    return /sluice_proxy_rbac_decisions_total\{policy="shop-audit-writes",action="DENY",result="would_deny"\} 1/.test(text) ? text : undefined;
  });
  assert.match(metrics, /sluice_proxy_rbac_decisions_total\{policy="web-deny-admin",action="DENY",result="denied"\} [2-9]/);
  assert.doesNotMatch(metrics, /api-deny-all/);

  const lines = await until('the access log lines', () => {
    let text = '';
    try {
      text = readFileSync(accessLog, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    return parsed.some((l) => l['rbacResult'] === 'would_deny') ? parsed : undefined;
  });
  const denied = lines.find((l) => l['rbacResult'] === 'denied')!;
  assert.equal(denied['rbacPolicy'], 'web-deny-admin');
  assert.equal(denied['status'], 403);
  assert.equal(denied['error'], 'SLUICE_PROXY_RBAC_DENIED');
  assert.equal(denied['principal'], null, 'a plain-text caller has no principal');
  assert.equal(lines.find((l) => l['rbacResult'] === 'would_deny')!['rbacPolicy'], 'shop-audit-writes');

  await ctl(['delete', 'authorizationpolicy', 'web-deny-admin']);
  await until('the deletion reaches the proxy', async () => (await call('/admin/users')) === '200 upstream saw GET /admin/users', 10_000);
  assert.equal(connects, 1, 'the one connection was never dropped');
  t.diagnostic(`DENY policy enforced ${propagationMs} ms after sluice ctl apply returned`);
});
