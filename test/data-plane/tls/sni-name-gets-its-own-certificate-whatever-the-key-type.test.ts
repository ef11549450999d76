// An HTTPS listener serves each SNI name its own certificate whatever the key types: an ECDSA default
// beside an RSA name, an RSA default beside an ECDSA name, and one name with both an RSA and an ECDSA
// certificate (the one the client's signature algorithms allow is served, ECDSA when both are), wildcards included; an
// unknown name and no SNI get the default. Driven with openssl s_client over TLS 1.2 and 1.3 against a
// real `sluice proxy` listener, with clients offering RSA only, ECDSA only, or both.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { certificateDocument, selfSigned, type KeyType } from '../helpers/self-signed-certificate.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

type Client = 'rsa-only' | 'ecdsa-only' | 'both';
type Version = '-tls1_2' | '-tls1_3';

/** s_client flags that make a client able to verify only RSA (or only ECDSA) server signatures. */
const CLIENT_FLAGS: Record<Client, Record<Version, string[]>> = {
  'rsa-only': {
    '-tls1_2': ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256'],
    '-tls1_3': ['-sigalgs', 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384'],
  },
  'ecdsa-only': {
    '-tls1_2': ['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-sigalgs', 'ECDSA+SHA256'],
    '-tls1_3': ['-sigalgs', 'ecdsa_secp256r1_sha256'],
  },
  both: { '-tls1_2': [], '-tls1_3': [] },
};

interface Served {
  readonly cn: string;
  readonly keyType: KeyType;
}

/** The certificate the listener served (subject CN and key type), or the s_client output when none was. */
async function served(port: number, servername: string | undefined, version: Version, client: Client): Promise<Served | string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(servername ? ['-servername', servername] : ['-noservername']), version, ...CLIENT_FLAGS[client][version]];
  const out = await new Promise<string>((resolve) => {
    const child = execFile('openssl', args, { timeout: 5000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    child.stdin!.end();
  });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
  if (pem === undefined) return out;
  const cert = new X509Certificate(pem);
  const keyType = cert.publicKey.asymmetricKeyType;
  assert.ok(keyType === 'rsa' || keyType === 'ec', `unexpected key type ${keyType}`);
  return { cn: /CN=([^\n]+)/.exec(cert.subject)![1]!, keyType };
}

test('each SNI name gets its own certificate whatever the key types; RSA or ECDSA by what the client allows', async (t) => {
  const certs = {
    'default-ec': selfSigned('ec', 'default-ec', ['default.test']),
    'default-rsa': selfSigned('rsa', 'default-rsa', ['default.test']),
    'name-rsa': selfSigned('rsa', 'rsa.test', ['rsa.test']),
    'name-ec': selfSigned('ec', 'ec.test', ['ec.test']),
    // One name (and its wildcard) with both key types: two Certificate resources.
    'dual-rsa': selfSigned('rsa', 'dual.test', ['dual.test', '*.dual.test']),
    'dual-ec': selfSigned('ec', 'dual.test', ['dual.test', '*.dual.test']),
  };
  const listener = (name: string, certificates: string[]): string =>
    `kind: Listener\nname: ${name}\naddress: 127.0.0.1\nport: 0\nprotocol: HTTPS\ntls: {certificates: [${certificates.join(', ')}], defaultCertificate: ${certificates[0]}}\n`;
  const yaml = [
    ...Object.entries(certs).map(([name, cert]) => certificateDocument(name, cert)),
    listener('ec-default', ['default-ec', 'name-rsa']),
    listener('rsa-default', ['default-rsa', 'name-ec']),
    listener('dual', ['default-ec', 'dual-rsa', 'dual-ec']),
  ].join('---\n');
  const proxy = await startProxyProcess(yaml, ['--workers', '1', '--admin-listen', 'off']);
  t.after(() => proxy.stop());
  const port = (name: string): number => proxy.ports.get(name)!;

  const cases: Array<[listener: string, servername: string | undefined, client: Client, expected: Served | 'no certificate']> = [
    // Default ECDSA, SNI name RSA.
    ['ec-default', 'rsa.test', 'both', { cn: 'rsa.test', keyType: 'rsa' }],
    ['ec-default', 'rsa.test', 'rsa-only', { cn: 'rsa.test', keyType: 'rsa' }],
    // The name has no ECDSA certificate: refused, not answered with another name's certificate.
    ['ec-default', 'rsa.test', 'ecdsa-only', 'no certificate'],
    ['ec-default', 'unknown.test', 'both', { cn: 'default-ec', keyType: 'ec' }],
    ['ec-default', undefined, 'both', { cn: 'default-ec', keyType: 'ec' }],
    // Default RSA, SNI name ECDSA.
    ['rsa-default', 'ec.test', 'both', { cn: 'ec.test', keyType: 'ec' }],
    ['rsa-default', 'ec.test', 'ecdsa-only', { cn: 'ec.test', keyType: 'ec' }],
    ['rsa-default', 'ec.test', 'rsa-only', 'no certificate'],
    ['rsa-default', 'unknown.test', 'both', { cn: 'default-rsa', keyType: 'rsa' }],
    ['rsa-default', undefined, 'rsa-only', { cn: 'default-rsa', keyType: 'rsa' }],
    // One name with both key types: the client's signature algorithms choose; the wildcard too.
    ['dual', 'dual.test', 'rsa-only', { cn: 'dual.test', keyType: 'rsa' }],
    ['dual', 'dual.test', 'ecdsa-only', { cn: 'dual.test', keyType: 'ec' }],
    // A client that accepts both gets ECDSA (the cheaper signature), as nginx and Envoy prefer it.
    ['dual', 'dual.test', 'both', { cn: 'dual.test', keyType: 'ec' }],
    ['dual', 'a.dual.test', 'rsa-only', { cn: 'dual.test', keyType: 'rsa' }],
    ['dual', 'a.dual.test', 'ecdsa-only', { cn: 'dual.test', keyType: 'ec' }],
    ['dual', 'a.b.dual.test', 'both', { cn: 'default-ec', keyType: 'ec' }],
    ['dual', 'unknown.test', 'both', { cn: 'default-ec', keyType: 'ec' }],
  ];
  const wrong: string[] = [];
  for (const version of ['-tls1_2', '-tls1_3'] as const) {
    for (const [name, servername, client, expected] of cases) {
      const got = await served(port(name), servername, version, client);
      const what = `${name} ${version} SNI ${servername ?? '(none)'} ${client}`;
      if (expected === 'no certificate') {
        if (typeof got !== 'string') wrong.push(`${what}: expected no certificate, got ${got.cn} (${got.keyType})`);
        else if (!/handshake failure|alert/i.test(got)) wrong.push(`${what}: expected a handshake alert:\n${got}`);
      } else if (typeof got === 'string') {
        wrong.push(`${what}: no certificate:\n${got.slice(0, 400)}`);
      } else if (got.cn !== expected.cn || got.keyType !== expected.keyType) {
        wrong.push(`${what}: expected ${expected.cn} (${expected.keyType}), got ${got.cn} (${got.keyType})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
