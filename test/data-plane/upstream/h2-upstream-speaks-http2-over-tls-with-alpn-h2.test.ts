// The H2 protocol (the pool's `tls` option): HTTP/2 over TLS, negotiated by ALPN as h2, the server's
// certificate checked against the cluster's CA. One exchange works, the server saw ALPN h2 and the
// https scheme; a certificate the CA did not sign fails the connect, it does not hang.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { ProxyError, ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { pem, TestPki } from '../../support/test-pki.js';
import { acquireOrError, exchange, poolTo, rawValues, requestOf, startH2Server } from './support/h2-exchange.js';

let pki: TestPki;
let other: TestPki;
before(() => {
  pki = TestPki.create('sluice h2 upstream test CA');
  other = TestPki.create('some other CA');
});
after(() => {
  pki.dispose();
  other.dispose();
});

test('an exchange over TLS: ALPN h2, :scheme https, the CA-checked certificate', { timeout: 20_000 }, async (t) => {
  const cert = pki.server();
  const seen: { alpn: string | false | null | undefined; raw: string[] }[] = [];
  const server = await startH2Server(
    t,
    (stream, _h, _f, raw) => {
      seen.push({ alpn: (stream.session!.socket as TLSSocket).alpnProtocol, raw });
      stream.respond({ ':status': 200 });
      stream.end('over tls');
    },
    { tls: { key: pem(cert.key), cert: pem(cert.cert) } },
  );
  const pool = poolTo(t, server.port, { tls: { ca: pem(pki.ca) } });
  const out = await exchange(pool, requestOf('GET', '/secure', ['host', 'secure.test']));
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.body.toString(), 'over tls');
  assert.equal(seen[0]!.alpn, 'h2');
  assert.deepEqual(rawValues(seen[0]!.raw, ':scheme'), ['https']);
  assert.deepEqual(rawValues(seen[0]!.raw, ':authority'), ['secure.test']);
  assert.equal(server.sessions[0]!.alpnProtocol, 'h2');

  // A second exchange reuses the TLS session.
  const again = await exchange(pool, requestOf('GET', '/again'));
  assert.equal(again.error, undefined);
  assert.equal(pool.getStats().created, 1);
});

test('a certificate from another CA: acquire rejects with SLUICE_PROXY_CONNECT_FAILURE', { timeout: 20_000 }, async (t) => {
  const cert = other.server();
  const server = await startH2Server(
    t,
    (stream) => {
      stream.respond({ ':status': 200 });
      stream.end('should not get here');
    },
    { tls: { key: pem(cert.key), cert: pem(cert.cert) } },
  );
  const pool = poolTo(t, server.port, { tls: { ca: pem(pki.ca) }, connectTimeoutMs: 2_000 });
  const result = await acquireOrError(pool);
  assert.ok(result instanceof ProxyError, 'acquire rejected');
  assert.equal(result.code, ProxyErrorCode.ConnectFailure, result.message);
  assert.equal(pool.getStats().connectFailures, 1);
});
