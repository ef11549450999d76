// The admin API over HTTPS (--api-tls-cert, --api-tls-key): `sluice ctl` reaches it when told the CA
// (--ca or SLUICE_CA) and otherwise fails saying so; plain HTTP is not served on that port.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { TestPki } from '../support/test-pki.js';

const token = 'https-admin-token-77';
let pki: TestPki;
let dir: string;
let proc: SluiceProcess;
let url: string;

before(async () => {
  pki = TestPki.create('sluice admin API test CA');
  const server = pki.server();
  dir = mkdtempSync(join(tmpdir(), 'sluice-https-api-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  proc = new SluiceProcess(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--token-file', tokenFile,
    '--api-tls-cert', server.cert, '--api-tls-key', server.key]);
  url = JSON.parse((await proc.waitFor(/^.*"msg":"control plane ready".*$/m))[0]).api as string;
});

after(async () => {
  await proc?.stop();
  pki?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const CLUSTER = 'kind: Cluster\nname: over-https\nendpoints:\n  - address: 127.0.0.1\n    port: 19081\n';

test('the API answers over HTTPS; ctl with --ca applies and reads, with SLUICE_CA too', async () => {
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const applied = await runSluice(['ctl', '--server', url, '--ca', pki.ca, '--token', token, 'apply', '-f', '-'], { stdin: CLUSTER });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /cluster\/over-https created/);
  const got = await runSluice(['ctl', '--server', url, '--token', token, 'get', 'clusters', 'over-https', '-o', 'json'], { env: { SLUICE_CA: pki.ca } });
  assert.equal(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).name, 'over-https');
  // Probes too, with the CA, from any HTTPS client.
  const status = await new Promise<number>((resolve, reject) => {
    get(`${url}/healthz`, { ca: readFileSync(pki.ca), servername: 'localhost' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(status, 200);
});

test('without the CA, ctl exits 1 and says to pass --ca; plain HTTP to the port gets no answer', async () => {
  const res = await runSluice(['ctl', '--server', url, '--token', token, 'get', 'clusters']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /cannot reach the control plane at https:\/\/127\.0\.0\.1:\d+: [A-Z_]+ \(pass the CA that signed the API's certificate with --ca FILE or SLUICE_CA\)/);
  const plain = await runSluice(['ctl', '--server', url.replace('https:', 'http:'), '--token', token, 'get', 'clusters']);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /cannot reach the control plane/);
  const missing = await runSluice(['ctl', '--server', url, '--ca', join(dir, 'missing.pem'), 'get', 'clusters']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--ca .*missing\.pem: ENOENT/);
});
