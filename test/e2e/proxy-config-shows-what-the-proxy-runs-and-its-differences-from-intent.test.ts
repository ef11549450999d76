// `sluice ctl proxy-config NODE [KIND]` against a running mesh: the built `sluice control-plane`
// (embedded store) and a `sluice proxy` that advertises its admin address. The command reads what
// the proxy runs from the proxy itself, says "in sync" when that is what the control plane intends,
// and names what differs once the proxy rejects a change (a listener on a port taken on this machine,
// and a route bound to it); certificates show serial, fingerprint and names, never key material.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { runSluice, SluiceProcess, type RunResult } from '../support/run-sluice.js';
import { pem, TestPki } from '../support/test-pki.js';
import { tokenDir } from '../support/token-file.js';
import { until } from '../support/until.js';

interface ProxyConfigJson {
  node: string;
  revision: number;
  intendedRevision: number;
  resources: Array<Record<string, unknown>>;
  local: string[];
  differences: Array<{ kind: string; name: string; status: string; fields?: Array<{ path: string; effective?: unknown; intended?: unknown }> }>;
  inSync: boolean;
}

test('ctl proxy-config shows the proxy\'s own configuration, in sync, then what it rejected as differences', { timeout: 60_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-proxy-config-');
  const pki = TestPki.create();
  const blocker = createServer(); // holds a port, so a listener on it cannot open
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const takenPort = (blocker.address() as { port: number }).port;
  const [apiPort, discoveryPort, adminPort, outboundPort, frontPort, securePort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const cp = new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile, '--log-level', 'warn']);
  const proxy = new SluiceProcess([
    'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'pc-proxy', '--service', 'web', '--token-file', tokenFile,
    '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`, '--outbound-listen', `127.0.0.1:${outboundPort}`,
    '--state-dir', join(dir, 'state'), '--initial-fetch-timeout-ms', '500',
  ]);
  t.after(async () => {
    await proxy.stop();
    await cp.stop();
    blocker.close();
    pki.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = { authorization: `Bearer ${token}` };
  const ctl = (args: string[], stdin?: string): Promise<RunResult> => runSluice(['ctl', '--server', api, '--token', token, ...args], stdin === undefined ? {} : { stdin });
  const apply = async (yaml: string): Promise<number> => {
    const r = await ctl(['apply', '-f', '-'], yaml);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return Number(/revision (\d+)/.exec(r.stdout)![1]);
  };
  const proxyConfig = async (...args: string[]): Promise<ProxyConfigJson> => {
    const r = await ctl(['proxy-config', 'pc-proxy', ...args, '-o', 'json']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as ProxyConfigJson;
  };
  await until('the control plane ready', async () => ((await fetch(`${api}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined));
  await proxy.waitFor(/sluice proxy: ready/, 20_000);

  const cert = pki.server('front.local');
  const revision = await apply(`kind: Cluster
name: app
endpoints: [{address: 127.0.0.1, port: 9}]
---
kind: Route
name: all
hosts: ["pc.local"]
listeners: [front]
forward: {cluster: app}
---
kind: Listener
name: front
address: 127.0.0.1
port: ${frontPort}
---
kind: Certificate
name: front-cert
certChain: ${JSON.stringify(pem(cert.cert))}
privateKey: ${JSON.stringify(pem(cert.key))}
---
kind: Listener
name: secure
address: 127.0.0.1
port: ${securePort}
protocol: HTTPS
tls: {certificates: [front-cert]}
selector: {service: web}
`);
  await until(`the proxy at revision ${revision}`, async () => {
    const r = (await (await fetch(`${api}/v1/rollout`, { headers: auth })).json()) as { at: number; proxies: number };
    return r.proxies === 1 && r.at === 1 ? true : undefined;
  }, 20_000);

  // /v1/proxies carries the admin address the proxy advertises (its --admin-listen by default).
  const listed = (await (await fetch(`${api}/v1/proxies`, { headers: auth })).json()) as { proxies: Array<{ nodeId: string; adminAddress: string; service: string }> };
  assert.deepEqual(listed.proxies.map((p) => [p.nodeId, p.adminAddress, p.service]), [['pc-proxy', `127.0.0.1:${adminPort}`, 'web']]);

  // 1. The routes the proxy runs, read from the proxy: the API's resources without their revision.
  const routes = await proxyConfig('routes');
  const stored = (await (await fetch(`${api}/v1/routes`, { headers: auth })).json()) as { resources: Array<Record<string, unknown>> };
  assert.deepEqual(routes.resources, stored.resources.map(({ revision: _r, ...rest }) => rest));
  assert.deepEqual(routes.resources, [{ kind: 'Route', name: 'all', hosts: ['pc.local'], listeners: ['front'], forward: { cluster: 'app' } }]);
  assert.equal(routes.revision, revision);
  assert.deepEqual(routes.differences, []);
  assert.equal(routes.inSync, true);

  // Every kind, YAML: the sidecar's own listener is shown as made from flags, and not a difference.
  const all = await ctl(['proxy-config', 'pc-proxy']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /# made by the proxy from its flags, not from the control plane\nkind: Listener\nname: sidecar-outbound/);
  assert.match(all.stdout, /^kind: Route\nname: all\nhosts:\n {2}- pc\.local/m);
  assert.match(all.stdout, /# differences from the control plane's intent \(proxy at revision \d+, control plane at revision \d+\):\n# in sync\n*$/);

  // 2. Certificates: what identifies them, never the chain or the key.
  const certs = await proxyConfig('certs');
  const expected = execFileSync('openssl', ['x509', '-in', cert.cert, '-noout', '-serial', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  const front = certs.resources[0]!;
  assert.equal(certs.resources.length, 1);
  assert.equal(front['name'], 'front-cert');
  assert.equal(`serial=${String(front['serial'])}`, /serial=\S+/.exec(expected)![0]);
  assert.equal(`sha256 Fingerprint=${String(front['fingerprint'])}`, /sha256 Fingerprint=\S+/i.exec(expected)![0].replace(/^SHA256/i, 'sha256'));
  assert.deepEqual(front['subjectAltNames'], ['IP Address:127.0.0.1', 'DNS:localhost']);
  assert.equal(front['hasPrivateKey'], true, 'the proxy serves it on listener secure, so it holds the key');
  assert.ok(typeof front['notAfter'] === 'string' && Date.parse(front['notAfter']) > Date.now());
  const raw = (await ctl(['proxy-config', 'pc-proxy', 'certs'])).stdout + JSON.stringify(certs);
  assert.doesNotMatch(raw, /PRIVATE KEY|BEGIN CERTIFICATE/);
  assert.deepEqual(certs.differences, []);

  // 3. A listener on a taken port and the route bound to it: valid for the control plane, NACKed by
  // the proxy, which keeps its last good listeners and route. Both show as differences; exit 0.
  await apply(`kind: Listener
name: taken
address: 127.0.0.1
port: ${takenPort}
---
kind: Route
name: all
hosts: ["pc.local"]
listeners: [front, taken]
forward: {cluster: app}
`);
  await until('both rejections in /v1/proxies', async () => {
    const p = (await (await fetch(`${api}/v1/proxies`, { headers: auth })).json()) as { proxies: Array<{ rejected: Array<{ kind: string; name: string }> }> };
    const rejected = p.proxies[0]?.rejected.map((r) => `${r.kind}/${r.name}`) ?? [];
    return rejected.includes('Listener/taken') && rejected.includes('Route/all') ? true : undefined;
  }, 20_000);
  const drifted = await proxyConfig();
  assert.equal(drifted.inSync, false);
  assert.deepEqual(drifted.differences, [
    { kind: 'Listener', name: 'taken', status: 'missing' },
    { kind: 'Route', name: 'all', status: 'different', fields: [{ path: 'listeners', effective: ['front'], intended: ['front', 'taken'] }] },
  ]);
  assert.ok(drifted.resources.some((r) => r['kind'] === 'Route' && JSON.stringify(r['listeners']) === '["front"]'), 'the route the proxy still runs');
  const text = await ctl(['proxy-config', 'pc-proxy']);
  assert.equal(text.code, 0, 'differences are information, not a failure');
  assert.match(text.stdout, /^# listeners\[taken\]: missing: the control plane intends it, the proxy does not run it$/m);
  assert.match(text.stdout, /^# routes\[all\]: different\n# {3}listeners: \["front"\] \(intended: \["front","taken"\]\)$/m);

  // 4. The intent for a proxy connected elsewhere, from its labels: listener `secure` (selector web) is not for service api.
  const ghost = async (service: string): Promise<string[]> => {
    const res = await fetch(`${api}/v1/proxies/ghost/intended?kind=listeners,certs&service=${service}&namespace=&zone=`, { headers: auth });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { resources: Array<{ kind: string; name: string; hasPrivateKey?: boolean }> };
    return body.resources.map((r) => `${r.kind}/${r.name}${r.hasPrivateKey === undefined ? '' : ` key:${r.hasPrivateKey}`}`);
  };
  assert.deepEqual(await ghost('web'), ['Certificate/front-cert key:true', 'Listener/front', 'Listener/secure', 'Listener/taken']);
  assert.deepEqual(await ghost('api'), ['Certificate/front-cert key:false', 'Listener/front', 'Listener/taken']);
  assert.equal((await fetch(`${api}/v1/proxies/ghost/intended`, { headers: auth })).status, 404, 'not connected here, and no labels');
  // A proxy connected here is scoped by the Node it sent, whatever labels the query carries.
  const own = (await (await fetch(`${api}/v1/proxies/pc-proxy/intended?kind=listeners&service=api`, { headers: auth })).json()) as { scopedBy: string; resources: Array<{ name: string }> };
  assert.equal(own.scopedBy, 'stream');
  assert.deepEqual(own.resources.map((r) => r.name), ['front', 'secure', 'taken']);
  assert.equal((await fetch(`${api}/v1/proxies/pc-proxy/intended?kind=gateways`, { headers: auth })).status, 400);
  assert.equal((await fetch(`http://127.0.0.1:${adminPort}/config_dump?kind=gateways`)).status, 400);

  // 5. Exit 1 when the proxy or the node cannot be found.
  const closed = await freePort();
  const unreachable = await ctl(['proxy-config', 'pc-proxy', 'routes', '--proxy-admin', `http://127.0.0.1:${closed}`]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, new RegExp(`cannot reach proxy "pc-proxy" at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`));
  const unknown = await ctl(['proxy-config', 'no-such-proxy']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /proxy "no-such-proxy" is not connected to the control plane/);
});
