// gRPC end to end through the mesh proxy with @grpc/grpc-js on both sides: an H2C cluster, unary,
// server-, client- and bidi-streaming calls, status and trailing metadata passed through, and the
// proxy's own failures (no route, upstream down, grpc-timeout) answered as gRPC statuses.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { json, SERVICE, startGrpcServer, type Msg } from '../helpers/grpc-echo.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { exampleCertificates } from '../../support/examples.js';

const WEB_LOCAL = exampleCertificates().find((d) => /name: web-local/.test(d))!;
const WEB_LOCAL_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(WEB_LOCAL)![0].replace(/^\s+/gm, '');

const CONFIG = `${WEB_LOCAL}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-local]}
---
kind: Cluster
name: greeter
protocol: H2C
pool: {maxConcurrentStreams: 10}
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Cluster
name: down
protocol: H2C
endpoints: [{address: 127.0.0.1, port: 1}]
---
kind: Route
name: greeter
hosts: ["grpc.local"]
match: {pathPrefix: /test.Echo/}
forward: {cluster: greeter}
timeoutMs: 10000
---
kind: Route
name: down
hosts: ["down.local"]
match: {pathPrefix: /}
forward: {cluster: down}
`;

test('gRPC through an H2C cluster: four call kinds, statuses, trailers; proxy errors as gRPC statuses', async (t) => {
  const { port: upPort, server } = await startGrpcServer();
  t.after(() => server.forceShutdown());
  const mesh = await startMesh(CONFIG, { up: upPort });
  t.after(() => mesh.close());
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const client = (authority: string) => new Client(`127.0.0.1:${mesh.port()}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority }) as unknown as Record<string, Function> & grpc.Client;
  const c = client('grpc.local');
  t.after(() => c.close());

  // Unary, with request metadata in and trailing metadata out.
  const md = new grpc.Metadata();
  md.set('x-hello', 'hi');
  let trailers: grpc.Metadata | undefined;
  const reply = await new Promise<Msg>((resolve, reject) => {
    const call = c['unary']!({ n: 21 }, md, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
  assert.deepEqual(reply, { n: 42, text: 'hi' });
  assert.equal(trailers?.get('x-trailer')[0], 't21');

  // Many unary calls at once: multiplexed over a few upstream sessions (10 streams each).
  const many = await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise<number>((resolve, reject) => c['unary']!({ n: i }, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res.n))))));
  assert.deepEqual(many, Array.from({ length: 200 }, (_, i) => i * 2));
  const stats = mesh.mesh.snapshot!.clusters.get('greeter')!.peers[0]!.pool.getStats();
  assert.ok(stats.created >= 1 && stats.created <= 25, `sessions opened: ${stats.created}`);

  // Over TLS: ALPN h2 downstream, h2c upstream.
  const secure = new Client(`127.0.0.1:${mesh.port('tls')}`, grpc.credentials.createSsl(Buffer.from(WEB_LOCAL_CERT)), {
    'grpc.ssl_target_name_override': 'web.local',
    'grpc.default_authority': 'grpc.local',
  }) as unknown as Record<string, Function> & grpc.Client;
  t.after(() => secure.close());
  const overTls = await new Promise<Msg>((resolve, reject) => secure['unary']!({ n: 5 }, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res))));
  assert.equal(overTls.n, 10);

  // An application error status passes through with its message.
  const notFound = await new Promise<grpc.ServiceError>((resolve) => c['unary']!({ n: -1 }, (err: grpc.ServiceError) => resolve(err)));
  assert.equal(notFound.code, grpc.status.NOT_FOUND);
  assert.equal(notFound.details, 'no such thing');

  // Server streaming.
  const streamed: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const call = c['serverStream']!({ n: 500 });
    call.on('data', (m: Msg) => streamed.push(m.n));
    call.on('end', resolve);
    call.on('error', reject);
  });
  assert.equal(streamed.length, 500);

  // Client streaming.
  const sum = await new Promise<number>((resolve, reject) => {
    const call = c['clientStream']!((err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res.n)));
    for (let i = 1; i <= 1000; i++) call.write({ n: i });
    call.end();
  });
  assert.equal(sum, 500_500);

  // Bidi streaming: each message answered in turn.
  const echoed = await new Promise<number[]>((resolve, reject) => {
    const out: number[] = [];
    const call = c['bidi']!();
    call.on('data', (m: Msg) => {
      out.push(m.n);
      if (out.length < 50) call.write({ n: m.n });
      else call.end();
    });
    call.on('end', () => resolve(out));
    call.on('error', reject);
    call.write({ n: 0 });
  });
  assert.equal(echoed.length, 50);
  assert.equal(echoed[49], 50);

  // Proxy-made failures: no route → UNIMPLEMENTED, upstream down → UNAVAILABLE.
  const unrouted = client('nowhere.local');
  t.after(() => unrouted.close());
  const e1 = await new Promise<grpc.ServiceError>((resolve) => unrouted['unary']!({ n: 1 }, (err: grpc.ServiceError) => resolve(err)));
  assert.equal(e1.code, grpc.status.UNIMPLEMENTED);
  const down = client('down.local');
  t.after(() => down.close());
  const e2 = await new Promise<grpc.ServiceError>((resolve) => down['unary']!({ n: 1 }, (err: grpc.ServiceError) => resolve(err)));
  assert.equal(e2.code, grpc.status.UNAVAILABLE);

  // grpc-timeout is honored by the proxy itself: a raw HTTP/2 client that does not enforce it.
  const session = connect(`http://127.0.0.1:${mesh.port()}`);
  t.after(() => session.close());
  const started = Date.now();
  const status = await new Promise<{ http: number; grpc: string | undefined }>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/test.Echo/Slow', ':authority': 'grpc.local', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '300m' });
    let http = 0;
    s.on('response', (h) => (http = h[':status'] as number));
    s.on('trailers', (tr) => resolve({ http, grpc: tr['grpc-status'] as string | undefined }));
    s.on('error', reject);
    s.resume();
    const body = json.serialize({ n: 0 });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    s.end(frame);
  });
  const took = Date.now() - started;
  assert.equal(status.http, 200);
  assert.equal(status.grpc, String(grpc.status.DEADLINE_EXCEEDED));
  assert.ok(took >= 250 && took < 2000, `answered after ${took} ms`);
});
