// PeerAuthentication on B's inbound listener, with real sidecars and a real control plane:
// - switching B from PERMISSIVE to STRICT while wrk drives keep-alive load from A to B (A speaks
//   mutual TLS to B's endpoint) fails no request;
// - STRICT: a plain-text client gets no HTTP answer, the connection is closed;
// - PERMISSIVE: the same plain-text request is served (200), beside mutual TLS on the same port;
// - DISABLE: plain text only, a TLS client's handshake fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { until } from '../../support/until.js';
import { meshTlsCall } from './support/mesh-tls-call.js';
import { call, peerAuthentication, SPIFFE_B, startTwoSidecars } from './support/two-sidecars.js';
import { workloadCertificateFor } from './support/workload-certificate-for.js';
import { runWrk } from './support/wrk-load.js';

/** Everything a plain-text HTTP/1.1 request to 127.0.0.1:port gets back before the connection ends (5 s at most). */
function plainTextExchange(port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /plain HTTP/1.1\r\nHost: b\r\n\r\n'));
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      // A served request: an answer needs no close to be seen.
      if (/^HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n/.test(got)) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
  });
}

test('STRICT refuses plain text, PERMISSIVE serves it, and switching to STRICT under load fails nothing', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream((_req, res) => res.end('ok'));
  cleanup(() => app.close());
  const permissive = peerAuthentication('PERMISSIVE');
  const strict = peerAuthentication('STRICT');
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port, extraYaml: permissive.yaml });
  await until('B PERMISSIVE', () => mesh.b.hasResource(permissive.match));
  assert.match(await plainTextExchange(mesh.b.port), /^HTTP\/1\.1 200 /, 'PERMISSIVE: plain text is served');
  assert.equal((await call(mesh.a.port, '/warm')).status, 200);

  // (d) PERMISSIVE → STRICT in the middle of a keep-alive load from A.
  const load = runWrk(mesh.a.port, { seconds: 4, connections: 8 });
  const before = app.seen.length;
  await until('the load reaching B\'s application', () => app.seen.length >= before + 300, 10_000);
  await mesh.applyToB(strict.yaml, strict.match);
  const switchedAt = Date.now();
  const result = await load;
  t.diagnostic(`A→B under wrk while B switched to STRICT: ${result.requests} requests, ${result.failed} failed; switch applied ${Date.now() - switchedAt} ms before the load ended`);
  assert.ok(result.requests >= 100, `too little load to mean anything:\n${result.output}`);
  assert.equal(result.failed, 0, result.output);

  // (c) STRICT: no HTTP answer to plain text; mutual TLS from A still served.
  const refused = await plainTextExchange(mesh.b.port);
  assert.doesNotMatch(refused, /HTTP\//, `STRICT answered plain text: ${JSON.stringify(refused)}`);
  assert.equal((await call(mesh.a.port, '/after-strict')).status, 200);
  // A peer that presents no certificate is refused too: STRICT wants a verified mesh client certificate.
  const c = await workloadCertificateFor(mesh.cp, 'c');
  await assert.rejects(meshTlsCall(mesh.b.port, '/no-cert', { bundlePem: c.bundlePem, serverId: SPIFFE_B }), 'STRICT: TLS without a client certificate is refused');
  assert.equal((await meshTlsCall(mesh.b.port, '/with-cert', { client: c, bundlePem: c.bundlePem, serverId: SPIFFE_B })).status, 200);

  // Back to PERMISSIVE: plain text served again, on new connections.
  await mesh.applyToB(permissive.yaml, permissive.match);
  assert.match(await plainTextExchange(mesh.b.port), /^HTTP\/1\.1 200 /, 'PERMISSIVE again: plain text is served');

  // DISABLE: plain text only.
  const disable = peerAuthentication('DISABLE');
  await mesh.applyToB(disable.yaml, disable.match);
  assert.match(await plainTextExchange(mesh.b.port), /^HTTP\/1\.1 200 /, 'DISABLE: plain text is served');
  await assert.rejects(meshTlsCall(mesh.b.port, '/tls', { client: c, bundlePem: c.bundlePem, serverId: SPIFFE_B }), 'DISABLE: no TLS handshake');
});
