// A workload's key and CSR (proto/src/identity/workload-key.ts) are made with node:crypto and a small
// DER encoder, so a proxy never loads @peculiar/x509 (about 8 MiB). The request must still be what
// the CA reads: @peculiar/x509 parses it, its self-signature verifies, its key is the PKCS #8 key
// handed back, the optional SPIFFE ID is its one URI name, and the control plane's own CSR check
// accepts it. A child process that makes one loads neither @peculiar/x509 nor reflect-metadata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { x509 } from '../../proto/src/identity/x509.js';
import { createWorkloadKey } from '../../proto/src/identity/workload-key.js';
import { verifiedCsrKey } from '../../control-plane/src/identity/certificate-request.js';
import { moduleLog } from '../support/module-log.js';

const SPIFFE_ID = 'spiffe://sluice.local/ns/shop/sa/frontend';

test('the CSR parses, verifies, carries the key handed back and names the SPIFFE ID', async () => {
  const { keyPem, csrPem } = await createWorkloadKey(SPIFFE_ID);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  assert.equal(await csr.verify(), true, 'the self-signature verifies');
  const extension = csr.getExtension('2.5.29.17');
  assert.ok(extension !== null, 'a subjectAltName extension');
  const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
  assert.deepEqual(san.names.items.map((n) => [n.type, n.value]), [['url', SPIFFE_ID]]);
  // The request's key is the private key's: a signature with one verifies with the other.
  const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const data = Buffer.from('proof');
  assert.ok(verify('sha256', data, publicKey, sign('sha256', data, createPrivateKey(keyPem))));
  assert.equal((publicKey.asymmetricKeyDetails ?? {}).namedCurve, 'prime256v1');
  // What the control plane's IssueCertificate runs on every request.
  await verifiedCsrKey(csrPem);
});

test('without a SPIFFE ID the CSR has no extensions, and two calls make two keys', async () => {
  const a = await createWorkloadKey();
  const b = await createWorkloadKey();
  const csr = new x509.Pkcs10CertificateRequest(a.csrPem);
  assert.equal(await csr.verify(), true);
  assert.deepEqual(csr.extensions, []);
  assert.notEqual(a.keyPem, b.keyPem);
  await verifiedCsrKey(b.csrPem);
});

test('a tampered CSR does not verify', async () => {
  const { csrPem } = await createWorkloadKey(SPIFFE_ID);
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
  // Flip one byte of the SPIFFE ID inside the signed part.
  const at = der.indexOf(Buffer.from('frontend'));
  der[at] ^= 0x01;
  await assert.rejects(verifiedCsrKey(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`), /signature does not verify/);
});

test('making a workload key loads neither @peculiar/x509 nor reflect-metadata', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-csr-modules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = moduleLog(dir);
  const rotator = fileURLToPath(new URL('../../data-plane/src/identity/certificate-rotator.js', import.meta.url));
  const workloadKey = fileURLToPath(new URL('../../proto/src/identity/workload-key.js', import.meta.url));
  const script = `await import(${JSON.stringify(rotator)}); const { createWorkloadKey } = await import(${JSON.stringify(workloadKey)}); const k = await createWorkloadKey(${JSON.stringify(SPIFFE_ID)}); console.log(k.csrPem.length > 0);`;
  const { stdout } = await promisify(execFile)(process.execPath, [...log.nodeArgs, '--input-type=module', '-e', script], { timeout: 20_000 });
  assert.equal(stdout.trim(), 'true');
  const urls = log.modules().map((m) => m.url);
  assert.ok(urls.some((u) => u.endsWith('/certificate-rotator.js')), 'the hook saw the rotator load');
  assert.deepEqual(urls.filter((u) => /@peculiar|reflect-metadata|tsyringe/.test(u)), []);
});
