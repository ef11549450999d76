// Certificates both ways, made by openssl at test time: upstream TLS per cluster (SNI, CA
// verification from a Certificate's caBundle, client certificate) over HTTP/1.1, HTTP/2 and AUTO
// (ALPN), and a
// listener that requires or requests client certificates verified against its clientCa.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { startMesh } from '../helpers/mesh-fixture.js';

const run = promisify(execFile);

/** A CA, a server certificate for upstream.local / web.test and a client certificate, in `dir`. */
function makePki(dir: string): Record<'ca' | 'caKey' | 'server' | 'serverKey' | 'client' | 'clientKey' | 'otherCa', string> {
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  o('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=sluice-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign,cRLSign');
  o('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '30', '-subj', '/CN=other-ca', '-addext', 'basicConstraints=critical,CA:TRUE');
  writeFileSync(join(dir, 'srv.ext'), 'subjectAltName=DNS:upstream.local,DNS:web.test\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'cli.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn, ext] of [['srv', 'upstream.local', 'srv.ext'], ['cli', 'client-a', 'cli.ext']] as const) {
    o('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    o('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', ext);
  }
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: r('ca.pem'), caKey: r('ca.key'), server: r('srv.pem'), serverKey: r('srv.key'), client: r('cli.pem'), clientKey: r('cli.key'), otherCa: r('other.pem') };
}

const block = (pem: string) => `|\n${pem.trim().split('\n').map((l) => `    ${l}`).join('\n')}`;

test('upstream TLS (HTTP/1.1 and HTTP/2) with CA and client certificate; listener client-certificate REQUIRE and REQUEST', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const tlsServerOptions = { cert: pki.server, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true };
  // Upstreams that require a client certificate and say whose it was.
  const h1 = createHttpsServer(tlsServerOptions, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(`h1 ${peer.subject?.CN} ${(req.socket as TLSSocket & { servername?: string }).servername}`);
  });
  const h2 = createSecureServer(tlsServerOptions, (req, res) => {
    const peer = (req.socket as unknown as TLSSocket).getPeerCertificate();
    res.end(`h2 ${peer.subject?.CN} ${req.httpVersion}`);
  });
  // WebSocket on the same TLS upstream: the tunnel connects with the cluster's TLS too.
  const wss = new WebSocketServer({ server: h1 });
  wss.on('connection', (ws, req) => ws.send(`wss ${(req.socket as TLSSocket).getPeerCertificate().subject?.CN}`));
  for (const s of [h1, h2]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    h1.closeAllConnections();
    h1.close();
    h2.close();
  });
  const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

  const config = `
kind: Certificate
name: mesh-ca
caBundle: ${block(pki.ca)}
---
kind: Certificate
name: other-ca
caBundle: ${block(pki.otherCa)}
---
kind: Certificate
name: client-a
certChain: ${block(pki.client)}
privateKey: ${block(pki.clientKey)}
---
kind: Certificate
name: web-test
certChain: ${block(pki.server)}
privateKey: ${block(pki.serverKey)}
---
kind: Cluster
name: tls-h1
tls: {sni: upstream.local, caCertificate: mesh-ca, clientCertificate: client-a}
endpoints: [{address: 127.0.0.1, port: ${port(h1)}}]
---
kind: Cluster
name: tls-h2
protocol: H2
tls: {sni: upstream.local, caCertificate: mesh-ca, clientCertificate: client-a}
endpoints: [{address: 127.0.0.1, port: ${port(h2)}}]
---
kind: Cluster
name: auto-h1
protocol: AUTO
tls: {sni: upstream.local, caCertificate: mesh-ca, clientCertificate: client-a}
endpoints: [{address: 127.0.0.1, port: ${port(h1)}}]
---
kind: Cluster
name: auto-h2
protocol: AUTO
tls: {sni: upstream.local, caCertificate: mesh-ca, clientCertificate: client-a}
endpoints: [{address: 127.0.0.1, port: ${port(h2)}}]
---
kind: Route
name: auto-h1
hosts: ["auto1.local"]
match: {pathPrefix: /}
forward: {cluster: auto-h1}
---
kind: Route
name: auto-h2
hosts: ["auto2.local"]
match: {pathPrefix: /}
forward: {cluster: auto-h2}
---
kind: Cluster
name: wrong-ca
tls: {sni: upstream.local, caCertificate: other-ca, clientCertificate: client-a}
endpoints: [{address: 127.0.0.1, port: ${port(h1)}}]
---
kind: Route
name: h1
hosts: ["h1.local"]
match: {pathPrefix: /}
forward: {cluster: tls-h1}
---
kind: Route
name: h2
hosts: ["h2.local", "web.test"]
match: {pathPrefix: /}
forward: {cluster: tls-h2}
---
kind: Route
name: wrong
hosts: ["wrong.local"]
match: {pathPrefix: /}
forward: {cluster: wrong-ca}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
---
kind: Listener
name: require
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-test], clientCertificate: REQUIRE, clientCa: mesh-ca}
---
kind: Listener
name: request
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-test], clientCertificate: REQUEST, clientCa: mesh-ca}
`;
  const mesh = await startMesh(config);
  t.after(() => mesh.close());
  const get = async (host: string) => {
    const r = await request(mesh.url('/'), { headers: { host } });
    return `${r.statusCode} ${await r.body.text()}`;
  };
  assert.equal(await get('h1.local'), '200 h1 client-a upstream.local');
  assert.equal(await get('h2.local'), '200 h2 client-a 2.0');
  assert.match(await get('wrong.local'), /^503 connect-failure/);
  const ws = new WebSocket(`ws://127.0.0.1:${mesh.port()}/ws`, { headers: { host: 'h1.local' } });
  const first = await new Promise<string>((resolve, reject) => {
    ws.once('message', (d) => resolve(d.toString()));
    ws.once('error', reject);
  });
  ws.terminate();
  assert.equal(first, 'wss client-a');
  // AUTO: ALPN picks HTTP/1.1 for the node:https upstream and h2 for the node:http2 one.
  assert.equal(await get('auto1.local'), '200 h1 client-a upstream.local');
  assert.equal(await get('auto1.local'), '200 h1 client-a upstream.local');
  assert.equal(await get('auto2.local'), '200 h2 client-a 2.0');
  assert.equal(await get('auto2.local'), '200 h2 client-a 2.0');

  // Downstream client certificates, checked with curl.
  const curl = (listener: string, withCert: boolean) =>
    run('curl', ['-s', '-o', '-', '-w', ' %{http_code}', '--cacert', join(dir, 'ca.pem'), '--resolve', `web.test:${mesh.port(listener)}:127.0.0.1`, ...(withCert ? ['--cert', join(dir, 'cli.pem'), '--key', join(dir, 'cli.key')] : []), `https://web.test:${mesh.port(listener)}/`]).then(
      (r) => r.stdout,
      (e: { code?: number }) => `curl exit ${e.code}`,
    );
  assert.equal(await curl('require', true), 'h2 client-a 2.0 200');
  assert.match(await curl('require', false), /^curl exit (35|55|56)$/);
  assert.equal(await curl('request', false), 'h2 client-a 2.0 200');
  assert.equal(await curl('request', true), 'h2 client-a 2.0 200');
});
