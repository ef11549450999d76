// The operator's own CA (--ca-cert, --ca-key, --ca-chain), made here with openssl: workload certificates
// are signed by the intermediate, carry it in their chain, and verify with `openssl verify` against the
// operator's root, which is the whole trust bundle. Files that do not fit together stop the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanupStack } from '../support/cleanup-stack.js';
import { runSluice } from '../support/run-sluice.js';
import { certificates, createToken, issue, startIdentityApi } from './support/identity-fixture.js';

const run = promisify(execFile);

/** A root and an intermediate under it, as an organisation's PKI would hand them to the mesh. */
async function operatorPki(dir: string): Promise<{ root: string; intermediate: string; intermediateKey: string; otherKey: string }> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const ext = join(dir, 'ca.ext');
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/O=Example Corp/CN=Example Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'intermediate.key', '-out', 'intermediate.csr', '-subj', '/O=Example Corp/CN=Mesh Intermediate');
  await openssl('x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'intermediate.pem', '-days', '20', '-extfile', ext);
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { root: read('root.pem'), intermediate: read('intermediate.pem'), intermediateKey: read('intermediate.key'), otherKey: read('other.key') };
}

test('a plug-in intermediate signs workload certificates that verify against the operator\'s root', async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plugin-ca-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await operatorPki(dir);
  const api = await startIdentityApi({ kind: 'embedded' }, { identity: { pluginCa: { certPem: pki.intermediate, keyPem: pki.intermediateKey, chainPem: pki.root } } });
  cleanup(() => api.stop());

  const issued = await issue(api, await createToken(api, 'billing'));
  const chain = certificates(issued.certChainPem);
  assert.equal(chain.length, 2, 'the leaf, then the intermediate');
  assert.match(chain[1]!.subject, /CN=Mesh Intermediate/);
  assert.equal(chain[0]!.subjectAltName, 'URI:spiffe://sluice.local/svc/billing');
  const bundle = certificates(issued.trustBundlePem);
  assert.equal(bundle.length, 1);
  assert.match(bundle[0]!.subject, /CN=Example Root/);

  writeFileSync(join(dir, 'leaf.pem'), chain[0]!.toString());
  writeFileSync(join(dir, 'bundle.pem'), issued.trustBundlePem);
  writeFileSync(join(dir, 'chain.pem'), chain[1]!.toString());
  const verified = await run('openssl', ['verify', '-CAfile', 'bundle.pem', '-untrusted', 'chain.pem', '-purpose', 'sslclient', 'leaf.pem'], { cwd: dir });
  assert.match(verified.stdout, /leaf\.pem: OK/);
  // No root was made or stored: the key stays in the operator's files.
  assert.equal(api.logs.filter((l) => l.includes('created a new root')).length, 0);
});

test('a plug-in key that is not the certificate\'s, or a chain without its root, stops the start with the reason', async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plugin-ca-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await operatorPki(dir);
  await assert.rejects(startIdentityApi({ kind: 'embedded' }, { identity: { pluginCa: { certPem: pki.intermediate, keyPem: pki.otherKey, chainPem: pki.root } } }), /--ca-key is not the private key of --ca-cert/);
  await assert.rejects(startIdentityApi({ kind: 'embedded' }, { identity: { pluginCa: { certPem: pki.intermediate, keyPem: pki.intermediateKey } } }), /--ca-chain must end with the root certificate/);
  const usage = await runSluice(['control-plane', '--ca-cert', join(dir, 'intermediate.pem')], { env: { SLUICE_TOKEN: 'x' } });
  assert.equal(usage.code, 2, usage.stderr);
  assert.match(usage.stderr, /--ca-cert and --ca-key go together/);
});
