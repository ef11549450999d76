// Transparent capture end to end, in network namespaces this test creates (root on this machine): a
// `hub` namespace holds a bridge and the control plane; pod A holds an unchanged client (curl, run as
// root) and sidecar A; pod B holds an application on port 8080 and sidecar B. Every pod runs
// `sluice init-capture --proxy-gid 1337`, and the sidecars run in group 1337 (still as root, so they
// read the checkout wherever CI put it; an injected pod runs its sidecar as user 1337 instead, which
// init-capture leaves alone the same way: init-capture-rules-replace-and-remove.test checks both rules).
// - curl in A calls http://web.local/ (web.local is B's address in A's /etc/hosts): A's OUTPUT rules
//   send it to sidecar A, which routes by Host to B's registered endpoint over mutual TLS;
// - B's application sees the caller's SPIFFE ID in x-forwarded-client-cert, so the hop was mTLS, and B
//   is STRICT, so plain text would have been refused;
// - sidecar A's own connection to B is not captured again (it runs in the proxy group): a loop would
//   never answer;
// - a plain-text client in the hub dialing B's application port directly is captured by B's
//   PREROUTING rules into the STRICT inbound listener and refused;
// - a plain TCP echo service in pod C (its sidecar's inbound side `--app-protocol tcp`): a client in A
//   dials echo.local:7000 unchanged; A's `--outbound-port-map 7000=17000` sends it to A's TCP listener
//   for cluster `echo`, which reaches C's sidecar over mutual TLS (C is STRICT too);
// - `init-capture --remove` restores direct traffic.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SLUICE_BIN } from '../../support/run-sluice.js';
import { stopChild } from '../../support/process-guard.js';
import { GiveUp, until } from '../../support/until.js';
import { createTopology, HUB_ADDRESS, type Started, type Topology } from './support/namespaces.js';

const PROXY_GID = 1337;
const NODE = process.execPath;

const APP = `
const http = require('node:http');
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: 'web', url: req.url, host: req.headers.host, xfcc: req.headers['x-forwarded-client-cert'] ?? null, remote: req.socket.remoteAddress }));
}).listen(8080, '0.0.0.0', () => console.log('app listening'));
`;

async function waitOutput(p: Started, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return until(() => `${what}:\n${p.output()}`, () => {
    if (p.child.exitCode !== null) throw new GiveUp(`${what}: exited (${p.child.exitCode}):\n${p.output()}`);
    return pattern.exec(p.output()) ?? undefined;
  }, timeoutMs);
}

const ECHO = `
require('node:net').createServer((s) => s.pipe(s)).listen(9000, '0.0.0.0', () => console.log('echo listening'));
`;

/** Dials HOST:PORT from inside a namespace, sends a line, prints what came back. */
const DIAL = `
const s = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
let got = '';
s.setTimeout(5000, () => { console.log('timeout:' + got); process.exit(2); });
s.on('connect', () => s.write(process.argv[3]));
s.on('data', (d) => { got += d; if (got.length >= process.argv[3].length) { console.log(got); s.end(); } });
s.on('error', (e) => { console.log('error:' + e.code); process.exit(3); });
`;

test('an unchanged client reaches web.local (HTTP) and echo.local (TCP) through capturing sidecars over mutual TLS', { timeout: 150_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'network namespaces and iptables need root');
  const topo: Topology = await createTopology(3, (pod, pods) => (pod === pods[0] ? [`${pods[1]!.address} web.local`, `${pods[2]!.address} echo.local`] : []));
  t.after(() => topo.remove());
  const [a, b, c] = topo.pods as [typeof topo.pods[0], typeof topo.pods[0], typeof topo.pods[0]];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-capture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stops: Started[] = [];
  t.after(async () => {
    for (const p of stops.reverse()) await stopChild(p.child, 0, 'SIGKILL');
  });

  // The control plane in the hub: discovery on the bridge, the admin API on the hub's loopback.
  const token = 'capture-admin-token-0123456789abcdef';
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const cp = topo.start(topo.hub, NODE, [SLUICE_BIN, 'control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', `${HUB_ADDRESS}:0`, '--token-file', tokenFile, '--log-level', 'info']);
  stops.push(cp);
  await waitOutput(cp, /control plane ready/, 'the control plane');
  const api = /"api":"(http:\/\/[^"]+)"/.exec(cp.output())![1]!;
  const discovery = /"discovery":"([^"]+)"/.exec(cp.output())![1]!;
  const curlHub = async (...args: string[]): Promise<string> => (await topo.exec(topo.hub, 'curl', ['-sS', '--max-time', '10', '-H', `authorization: Bearer ${token}`, ...args])).stdout;
  const mesh = join(dir, 'mesh.yaml');
  writeFileSync(mesh, `kind: Cluster
name: web
protocol: HTTP1
connectTimeoutMs: 2000
---
kind: Route
name: web
hosts: [web.local]
match: {pathPrefix: /}
forward: {cluster: web}
timeoutMs: 10000
---
kind: PeerAuthentication
name: web-strict
selector: {service: web}
mode: STRICT
---
kind: PeerAuthentication
name: echo-strict
selector: {service: echo}
mode: STRICT
---
kind: Cluster
name: echo
connectTimeoutMs: 2000
---
kind: Listener
name: client-echo
address: 127.0.0.1
port: 17000
protocol: TCP
tcp: {cluster: echo}
selector: {service: client}
`);
  const applied = await curlHub('-w', '\n%{http_code}', '-H', 'content-type: application/yaml', '--data-binary', `@${mesh}`, `${api}/v1/apply`);
  assert.match(applied, /\n200$/, applied);
  const bootstrap = async (service: string): Promise<string> => {
    const body = await curlHub('-H', 'content-type: application/json', '--data', JSON.stringify({ service }), `${api}/v1/tokens`);
    const file = join(dir, `bootstrap-${service}`);
    writeFileSync(file, `${(JSON.parse(body) as { token: string }).token}\n`, { mode: 0o600 });
    return file;
  };

  // Pod B: the application, its capture, its sidecar (as the proxy user).
  const app = topo.start(b.ns, NODE, ['-e', APP]);
  stops.push(app);
  await waitOutput(app, /app listening/, 'the application');
  const sidecar = async (pod: typeof a, service: string, extra: string[]): Promise<Started> => {
    const state = join(dir, `state-${service}`);
    mkdirSync(state);
    const file = await bootstrap(service);
    const p = topo.start(pod.ns, NODE, [SLUICE_BIN, 'proxy', '--control-plane', discovery, '--node-id', `${service}-1`, '--service', service,
      '--token-file', file, '--bootstrap-token-file', file, '--workers', '1', '--admin-listen', '127.0.0.1:15000', '--state-dir', state,
      '--drain-timeout-ms', '200', ...extra], { gid: PROXY_GID });
    stops.push(p);
    await waitOutput(p, /admin on http/, `sidecar ${service}`);
    return p;
  };
  const echo = topo.start(c.ns, NODE, ['-e', ECHO]);
  stops.push(echo);
  await waitOutput(echo, /echo listening/, 'the echo service');
  for (const pod of [a, b, c]) {
    // A's plain TCP to port 7000 goes to its TCP listener for cluster echo (it carries no Host).
    const map = pod === a ? ['--outbound-port-map', '7000=17000'] : [];
    const installed = await topo.exec(pod.ns, NODE, [SLUICE_BIN, 'init-capture', '--proxy-gid', String(PROXY_GID), '--exclude-inbound-ports', '15000', ...map]);
    assert.match(installed.stdout, /capture installed/);
  }
  await sidecar(b, 'web', ['--inbound-listen', '0.0.0.0:15006', '--app-port', '8080', '--register-address', b.address]);
  await sidecar(c, 'echo', ['--inbound-listen', '0.0.0.0:15006', '--app-port', '9000', '--app-protocol', 'tcp', '--register-address', c.address]);
  await sidecar(a, 'client', ['--outbound-listen', '127.0.0.1:15001']);

  // Ready: A has B's registered endpoint and its workload certificate.
  const curlA = async (url: string): Promise<{ code: string; body: string }> => {
    const out = (await topo.exec(a.ns, 'curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', url]).catch((err: Error & { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout ?? ''}\n000`, stderr: err.stderr ?? '' }))).stdout;
    const nl = out.lastIndexOf('\n');
    return { body: out.slice(0, nl), code: out.slice(nl + 1) };
  };
  const first = await until(() => 'web.local answering through the sidecars', async () => {
    const r = await curlA('http://web.local/hello?x=1');
    return r.code === '200' ? r : undefined;
  }, 60_000, 500);
  const seen = JSON.parse(first.body) as { app: string; url: string; host: string; xfcc: string | null; remote: string };
  assert.equal(seen.app, 'web');
  assert.equal(seen.url, '/hello?x=1');
  assert.equal(seen.host, 'web.local');
  assert.match(seen.xfcc ?? '', /URI=spiffe:\/\/sluice\.local\/svc\/client/, 'B\'s application sees the caller\'s identity');
  assert.equal(seen.remote, '127.0.0.1', 'B\'s sidecar delivered it on loopback');

  // Any port the client names is captured: the Host decides.
  for (let i = 0; i < 20; i++) {
    const r = await curlA(`http://web.local:${i % 2 === 0 ? 80 : 8080}/n/${i}`);
    assert.equal(r.code, '200', r.body);
    assert.equal((JSON.parse(r.body) as { url: string }).url, `/n/${i}`);
  }

  // Plain TCP, unchanged: A's client dials echo.local:7000; the bytes come back through both sidecars.
  const dial = async (): Promise<string> => (await topo.exec(a.ns, NODE, ['-e', DIAL, 'echo.local', '7000', 'ping-through-the-mesh'])
    .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))).stdout.trim();
  const echoed = await until(() => 'echo.local:7000 answering through the sidecars', async () => ((await dial()) === 'ping-through-the-mesh' ? true : undefined), 60_000, 500);
  assert.equal(echoed, true);
  for (let i = 0; i < 5; i++) assert.equal(await dial(), 'ping-through-the-mesh');
  // C is STRICT: plain text from the hub to the echo port is captured into C's inbound and refused.
  const plainEcho = await topo.exec(topo.hub, NODE, ['-e', DIAL, c.address, '9000', 'plain']).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  assert.notEqual(plainEcho.stdout.trim(), 'plain', 'plain text to C is refused by its STRICT sidecar');

  // B's inbound capture: plain text from the hub to B's application port lands in the STRICT
  // inbound listener, which refuses it without an HTTP answer.
  const direct = await topo.exec(topo.hub, 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${b.address}:8080/`]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  assert.equal(direct.stdout, '000', 'plain text to B is refused by its STRICT sidecar');

  // Without capture in A, web.local:80 is B's port 80 redirected to B's STRICT inbound: refused too;
  // the client was only ever served through its sidecar.
  await topo.exec(a.ns, NODE, [SLUICE_BIN, 'init-capture', '--remove']);
  const uncaptured = await curlA('http://web.local/after-removal');
  assert.equal(uncaptured.code, '000', uncaptured.body);
  const rules = (await topo.exec(a.ns, 'iptables-save', ['-t', 'nat'])).stdout;
  assert.doesNotMatch(rules, /SLUICE/, rules);
});
