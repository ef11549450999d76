// A listener whose server names all get one secure context (one certificate) has nothing to choose per connection: it hands each connection to node:tls without
// reading the ClientHello first (about 5% of a new connection's CPU). A listener whose names get
// different contexts still reads it, and a silent client of a one-context listener is still closed
// after the listener's headerTimeoutMs.
import assert from 'node:assert/strict';
import { connect as connectTls, createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CertificateSchema, type Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import { ListenerTlsSchema } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { selectContextByClientHello, type ContextSelector } from '../../../data-plane/src/tls/context-by-client-hello.js';
import { SniContexts } from '../../../data-plane/src/tls/sni-contexts.js';
import { newTicketKeys } from '../../../data-plane/src/tls/ticket-keys.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { silentClientLifetimeMs } from '../helpers/silent-client.js';
import { certificateDocument, selfSigned, type SelfSigned } from '../helpers/self-signed-certificate.js';

const contextOf = (cert: SelfSigned): SecureContext => createSecureContext({ cert: cert.certChain, key: cert.privateKey });

/** The subject CN of the certificate a TLS client gets from 127.0.0.1:`port` asking for `servername`. */
function servedName(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().subject.CN as string);
      s.destroy();
    });
    s.on('error', reject);
  });
}

test('one context: the connection gets it without the ClientHello being read; several: the name chooses', async (t) => {
  const own = selfSigned('ec', 'server-default.test', ['server-default.test']);
  const sole = selfSigned('ec', 'sole.test', ['sole.test']);
  const named = selfSigned('ec', 'named.test', ['named.test']);
  const asked: (string | undefined)[] = [];
  let soleContext: SecureContext | undefined = contextOf(sole);
  const namedContext = contextOf(named);
  const selector: ContextSelector = {
    select: (servername) => (asked.push(servername), namedContext),
    soleContext: () => soleContext,
  };
  const server = createTlsServer({ cert: own.certChain, key: own.privateKey }, (s) => s.end());
  selectContextByClientHello(server, selector, 5000);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;

  assert.equal(await servedName(port, 'whatever.test'), 'sole.test');
  assert.deepEqual(asked, [], 'the ClientHello was read although there was one context');

  soleContext = undefined;
  assert.equal(await servedName(port, 'named.test'), 'named.test');
  assert.deepEqual(asked, ['named.test']);
});

test('SniContexts: one certificate is one context for every name; names or key types that differ from the default are not', () => {
  const cert = (name: string, pair: SelfSigned, sniNames: string[] = []): Certificate => create(CertificateSchema, { name, certChain: pair.certChain, privateKey: pair.privateKey, sniNames });
  const ec = selfSigned('ec', 'web.test', ['web.test', '*.web.test']);
  const rsa = selfSigned('rsa', 'web.test', ['web.test', '*.web.test']);
  const other = selfSigned('ec', 'other.test', ['other.test']);
  const contextsOf = (certificates: Certificate[], defaultCertificate = ''): SniContexts => {
    const sni = new SniContexts(newTicketKeys());
    sni.update(create(ListenerTlsSchema, { certificates: certificates.map((c) => c.name), defaultCertificate }), (n) => certificates.find((c) => c.name === n));
    return sni;
  };

  const one = contextsOf([cert('ec', ec)]);
  assert.ok(one.soleContext() !== undefined);
  for (const name of ['web.test', 'a.web.test', 'unknown.test', undefined]) assert.equal(one.select(name), one.soleContext(), `${name}`);

  // The names get both key pairs, a client without a known name only the default certificate's.
  const bothKeyTypes = contextsOf([cert('ec', ec), cert('rsa', rsa)]);
  assert.equal(bothKeyTypes.soleContext(), undefined);
  assert.notEqual(bothKeyTypes.select('web.test'), bothKeyTypes.select('unknown.test'));

  const twoNames = contextsOf([cert('ec', ec), cert('other', other)]);
  assert.equal(twoNames.soleContext(), undefined);
  assert.notEqual(twoNames.select('web.test'), twoNames.select('other.test'));

  // One certificate naming a host, another as the default: a host with no name gets another context.
  const namedAndDefault = contextsOf([cert('ec', ec), cert('other', other, ['other.test'])], 'other');
  assert.equal(namedAndDefault.soleContext(), undefined);

  // Replaced by one certificate: one context again.
  twoNames.update(create(ListenerTlsSchema, { certificates: ['ec'] }), (n) => (n === 'ec' ? cert('ec', ec) : undefined));
  assert.ok(twoNames.soleContext() !== undefined);
});

test('HTTPS listener with one certificate: served, and a silent client is closed after headerTimeoutMs', async (t) => {
  const only = selfSigned('ec', 'only.test', ['only.test']);
  const mesh = await startMesh(
    `${certificateDocument('only', only)}---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [only]}
limits: {headerTimeoutMs: 400}
`,
  );
  t.after(() => mesh.close());
  const port = mesh.port('tls');
  assert.equal(await servedName(port, 'only.test'), 'only.test');
  assert.equal(await servedName(port, 'elsewhere.test'), 'only.test');

  const closedAfterMs = await silentClientLifetimeMs(port);
  assert.ok(closedAfterMs >= 300 && closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);
});
