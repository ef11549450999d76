// TLS termination by SNI and HTTP/2 downstream through the mesh proxy, with independent clients:
// openssl s_client (which certificate per SNI, TLS versions), curl (--http2 over TLS,
// --http2-prior-knowledge in cleartext, HTTP/1.1 on the same ports), nghttp and node:http2. A
// certificate update reaches new handshakes while an open HTTP/2 connection keeps working.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { exampleCertificates } from '../../support/examples.js';

const run = promisify(execFile);
const certDocs = exampleCertificates();

const config = (defaultCert: string, minVersion = 'TLS1_2'): string => `
${certDocs.join('\n---\n')}
---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-local, api-local], defaultCertificate: ${defaultCert}, minVersion: ${minVersion}}
---
kind: Listener
name: tls13
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-local], minVersion: TLS1_3}
---
kind: Listener
name: plain
address: 127.0.0.1
port: 0
---
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: web
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: web}
`;

async function subjectFor(port: number, servername: string | undefined, extra: string[] = []): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(servername ? ['-servername', servername] : ['-noservername']), ...extra];
  const child = execFile('openssl', args, { timeout: 5000 });
  child.stdin!.end();
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return out;
}

test('HTTPS listener: certificate by SNI, TLS 1.2+, ALPN h2 and http/1.1; h2c on the HTTP port; hot certificate swap', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(config('web-local'), { up: upstream.port });
  t.after(() => mesh.close());
  const tlsPort = mesh.port('tls');
  const plainPort = mesh.port('plain');

  // openssl s_client: exact name, wildcard, no SNI and unknown SNI get the default.
  assert.match(await subjectFor(tlsPort, 'api.local'), /subject=CN\s?=\s?api\.local/);
  assert.match(await subjectFor(tlsPort, 'v1.api.local'), /subject=CN\s?=\s?api\.local/);
  assert.match(await subjectFor(tlsPort, 'web.local'), /subject=CN\s?=\s?web\.local/);
  assert.match(await subjectFor(tlsPort, undefined), /subject=CN\s?=\s?web\.local/);
  assert.match(await subjectFor(tlsPort, 'other.test'), /subject=CN\s?=\s?web\.local/);
  // Below TLS 1.2 is refused; ALPN picks h2.
  assert.doesNotMatch(await subjectFor(tlsPort, 'web.local', ['-tls1_1']), /subject=CN/);
  assert.match(await subjectFor(tlsPort, 'web.local', ['-alpn', 'h2,http/1.1']), /ALPN protocol: h2/);
  // A listener with minVersion TLS1_3 refuses TLS 1.2.
  assert.doesNotMatch(await subjectFor(mesh.port('tls13'), 'web.local', ['-tls1_2']), /subject=CN/);
  assert.match(await subjectFor(mesh.port('tls13'), 'web.local', ['-tls1_3']), /subject=CN\s?=\s?web\.local/);

  // curl over TLS: HTTP/2 by ALPN, and HTTP/1.1 when asked.
  const h2 = await run('curl', ['-sk', '--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', '--resolve', `web.local:${tlsPort}:127.0.0.1`, `https://web.local:${tlsPort}/a`]);
  assert.equal(h2.stdout, '2 200');
  const h1 = await run('curl', ['-sk', '--http1.1', '--resolve', `web.local:${tlsPort}:127.0.0.1`, `https://web.local:${tlsPort}/b?x=1`]);
  const seen = JSON.parse(h1.stdout) as { url: string; headers: Record<string, string> };
  assert.equal(seen.url, '/b?x=1');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['host'], `web.local:${tlsPort}`);

  // Cleartext: h2c prior knowledge and HTTP/1.1 on the same port; a POST body through HTTP/2.
  const h2c = await run('curl', ['-s', '--http2-prior-knowledge', '-w', '\n%{http_version}', '--data-binary', 'x'.repeat(100_000), `http://127.0.0.1:${plainPort}/up`]);
  const [body, version] = h2c.stdout.split('\n');
  assert.equal(version, '2');
  assert.equal((JSON.parse(body!) as { bytes: number; method: string }).bytes, 100_000);
  const plain11 = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_version}', `http://127.0.0.1:${plainPort}/`]);
  assert.equal(plain11.stdout, '1.1');
  // curl --http2 in cleartext asks for Upgrade: h2c: served over HTTP/1.1 (the upgrade is not taken).
  const upgradeAsked = await run('curl', ['-s', '--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `http://127.0.0.1:${plainPort}/u`]);
  assert.equal(upgradeAsked.stdout, '1.1 200');
  const nghttp = await run('nghttp', ['-v', `http://127.0.0.1:${plainPort}/n`]);
  assert.match(nghttp.stdout, /:status: 200/);

  // node:http2 over TLS: many streams on one session; it stays open across a certificate update.
  const session = connect(`https://127.0.0.1:${tlsPort}`, { servername: 'web.local', rejectUnauthorized: false });
  t.after(() => session.close());
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = session.request({ ':path': path, ':authority': 'web.local' });
      s.on('response', (h) => resolve(h[':status'] as number));
      s.on('error', reject);
      s.resume();
    });
  assert.deepEqual(await Promise.all(Array.from({ length: 50 }, (_, i) => get(`/s${i}`))), Array(50).fill(200));

  // Swap the default certificate: new handshakes without SNI see it; the open session still works.
  const parsed = parseConfigText(config('api-local').replace(/\{\{up\}\}/g, String(upstream.port)), 'yaml');
  assert.ok(parsed.ok);
  const applied = await mesh.mesh.applyResources(parsed.config.resources);
  assert.ok(applied.ok);
  assert.equal(mesh.port('tls'), tlsPort, 'the listener was rebound');
  assert.match(await subjectFor(tlsPort, undefined), /subject=CN\s?=\s?api\.local/);
  assert.match(await subjectFor(tlsPort, 'web.local'), /subject=CN\s?=\s?web\.local/);
  assert.equal(await get('/after-swap'), 200);
  assert.equal(session.closed, false);
});
