// A gRPC call refused by an AuthorizationPolicy ends with PERMISSION_DENIED for @grpc/grpc-js over
// TLS with a client certificate, answered Trailers-Only (grpc-status in the one HEADERS frame that
// ends the stream), while the allowed principal's calls go through to the upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { json, SERVICE, startGrpcServer } from '../helpers/grpc-echo.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { createSpiffePki, pemBlock } from '../helpers/spiffe-pki.js';

const FRONTEND = 'spiffe://sluice.local/ns/shop/sa/frontend';
const BATCH = 'spiffe://sluice.local/ns/jobs/sa/batch';

test('gRPC: a denied caller gets PERMISSION_DENIED, Trailers-Only; the allowed one gets its answer', async (t) => {
  const pki = createSpiffePki(['grpc.local']);
  t.after(() => pki.dispose());
  const { port: upPort, server } = await startGrpcServer();
  t.after(() => server.forceShutdown());
  const mesh = await startMesh(`kind: Certificate
name: mesh-ca
caBundle: ${pemBlock(pki.ca)}
---
kind: Certificate
name: grpc-tls
certChain: ${pemBlock(pki.server.cert)}
privateKey: ${pemBlock(pki.server.key)}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [grpc-tls], clientCertificate: REQUIRE, clientCa: mesh-ca}
---
kind: Cluster
name: greeter
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${upPort}}]
---
kind: Route
name: greeter
hosts: ["grpc.local"]
match: {pathPrefix: /test.Echo/}
forward: {cluster: greeter}
---
kind: AuthorizationPolicy
name: greeter-callers
action: ALLOW
rules:
  - from: [{principals: ["${FRONTEND}"]}]
    to: [{methods: [POST], paths: ["/test.Echo/*"]}]
`);
  t.after(() => mesh.close());
  const port = mesh.port();

  const Echo = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const clientAs = (spiffeId: string) => {
    const c = pki.client(spiffeId);
    const creds = grpc.credentials.createSsl(Buffer.from(pki.ca), Buffer.from(c.key), Buffer.from(c.cert));
    const client = new Echo(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'grpc.local', 'grpc.default_authority': 'grpc.local' }) as unknown as Record<string, Function> & grpc.Client;
    t.after(() => client.close());
    return client;
  };
  const unary = (client: Record<string, Function>) =>
    new Promise<{ err: grpc.ServiceError | null; res: { n: number } | undefined }>((resolve) => client['unary']!({ n: 21 }, (err: grpc.ServiceError | null, res: { n: number } | undefined) => resolve({ err, res })));

  const allowed = await unary(clientAs(FRONTEND));
  assert.equal(allowed.err, null);
  assert.equal(allowed.res?.n, 42);
  const denied = await unary(clientAs(BATCH));
  assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED, String(denied.err));

  // On the wire: the response HEADERS frame carries grpc-status and ends the stream; no trailers follow.
  const batch = pki.client(BATCH);
  const session = connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'grpc.local', cert: batch.cert, key: batch.key });
  t.after(() => session.close());
  const wire = await new Promise<{ headers: Record<string, unknown>; trailers: boolean; endedWithHeaders: boolean }>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', ':authority': 'grpc.local', 'content-type': 'application/grpc', te: 'trailers' });
    let headers: Record<string, unknown> = {};
    let endedWithHeaders = false;
    let trailers = false;
    s.on('response', (h, flags) => {
      headers = h;
      endedWithHeaders = (flags & 0x1) === 0x1;
    });
    s.on('trailers', () => (trailers = true));
    s.on('close', () => resolve({ headers, trailers, endedWithHeaders }));
    s.on('error', reject);
    s.resume();
    const body = json.serialize({ n: 1 });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    s.end(frame);
  });
  assert.equal(wire.headers[':status'], 200);
  assert.equal(wire.headers['grpc-status'], String(grpc.status.PERMISSION_DENIED));
  assert.equal(wire.headers['x-sluice-error'], 'rbac-denied');
  assert.equal(wire.endedWithHeaders, true, 'END_STREAM on the HEADERS frame');
  assert.equal(wire.trailers, false);
});
