// With mutual TLS between the sidecars, AuthorizationPolicy principals are the callers' real SPIFFE
// IDs from their workload certificates: on B (service b), a DENY for spiffe://sluice.local/svc/a
// answers A's calls 403 rbac-denied within a bounded wait; an ALLOW naming only another principal
// refuses A too; an ALLOW naming A lets it through. gRPC through the sidecars (an H2C cluster, a
// @grpc/grpc-js server as B's application) works, and gets PERMISSION_DENIED under the DENY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { json, startGrpcServer, type Msg } from '../../data-plane/helpers/grpc-echo.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { until } from '../../support/until.js';
import { startRecordingRelay } from './support/recording-relay.js';
import { call, SPIFFE_A, startTwoSidecars } from './support/two-sidecars.js';

const DENY_A = `kind: AuthorizationPolicy
name: b-deny-a
selector: {service: b}
action: DENY
rules: [{from: [{principals: ["${SPIFFE_A}"]}]}]
`;
const allowOnly = (principal: string) => `kind: AuthorizationPolicy
name: b-allow
selector: {service: b}
action: ALLOW
rules: [{from: [{principals: ["${principal}"]}]}]
`;
const POLICY_WAIT_MS = 10_000;

test('HTTP: DENY for svc/a refuses A, ALLOW for another principal refuses A, ALLOW for svc/a admits A', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream((_req, res) => res.end('ok'));
  cleanup(() => app.close());
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port });
  assert.equal((await call(mesh.a.port, '/before')).status, 200);

  await mesh.cp.apply(DENY_A);
  const denied = await until('A denied by b-deny-a', async () => {
    const r = await call(mesh.a.port, '/denied');
    return r.status === 403 ? r : undefined;
  }, POLICY_WAIT_MS);
  assert.equal(denied.headers['x-sluice-error'], 'rbac-denied');
  const reachedApp = app.seen.length;
  assert.equal((await call(mesh.a.port, '/denied-again')).status, 403);
  assert.equal(app.seen.length, reachedApp, 'a denied request never reaches B\'s application');

  const removed = await mesh.cp.ctl('delete', 'authorizationpolicy', 'b-deny-a');
  assert.equal(removed.code, 0, removed.stderr);
  await mesh.cp.apply(allowOnly('spiffe://sluice.local/svc/c'));
  await until('B to hold the ALLOW for svc/c only, without the DENY', async () =>
    !(await mesh.b.hasResource((r) => r['name'] === 'b-deny-a')) && (await mesh.b.hasResource((r) => r['name'] === 'b-allow' && JSON.stringify(r).includes('svc/c'))), POLICY_WAIT_MS);
  const notNamed = await call(mesh.a.port, '/not-named');
  assert.equal(notNamed.status, 403, 'an ALLOW that names only svc/c refuses svc/a');
  assert.equal(notNamed.headers['x-sluice-error'], 'rbac-denied');

  await mesh.cp.apply(allowOnly(SPIFFE_A));
  const admitted = await until('A admitted by the ALLOW naming svc/a', async () => {
    const r = await call(mesh.a.port, '/admitted');
    return r.status === 200 ? r : undefined;
  }, POLICY_WAIT_MS);
  assert.equal(admitted.body, 'ok');
});

test('gRPC through the sidecars over an H2C cluster: TLS with ALPN h2 on the wire, served, then PERMISSION_DENIED under the DENY for svc/a', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const { port: grpcPort, server } = await startGrpcServer();
  cleanup(() => server.forceShutdown());
  const mesh = await startTwoSidecars(cleanup, { appPort: grpcPort, protocol: 'H2C' });
  const relay = await startRecordingRelay(mesh.b.port, 4096);
  cleanup(() => relay.close());
  await mesh.setEndpoint(relay.port);
  const client = new grpc.Client(`127.0.0.1:${mesh.a.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'b' });
  cleanup(() => client.close());
  const unary = (n: number) => new Promise<{ error: grpc.ServiceError | null; reply?: Msg }>((resolve) => {
    client.makeUnaryRequest('/test.Echo/Unary', json.serialize, json.deserialize as (b: Buffer) => Msg, { n } as Msg, new grpc.Metadata(), { deadline: Date.now() + 5000 },
      (error, reply) => resolve({ error, reply }));
  });

  // Subtests: each verdict stands on its own.
  await t.test('the call is served by B\'s gRPC application', async () => {
    const served = await unary(21);
    assert.equal(served.error, null, served.error?.message);
    assert.equal(served.reply?.n, 42);
  });
  await t.test('A offers ALPN h2 in a TLS ClientHello to B', () => {
    assert.ok(relay.sent.length >= 1, 'A connected through the relay');
    // The ALPN extension (type 16) listing exactly "h2": RFC 7301 §3.1.
    const alpnH2 = Buffer.from([0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 0x68, 0x32]);
    for (const bytes of relay.sent) {
      assert.equal(bytes[0], 0x16, 'a TLS handshake record');
      assert.notEqual(bytes.indexOf(alpnH2), -1, 'ALPN h2 offered');
    }
  });
  await t.test('the DENY for svc/a answers PERMISSION_DENIED', async () => {
    await mesh.cp.apply(DENY_A);
    const refused = await until('the gRPC call denied', async () => {
      const r = await unary(1);
      return r.error?.code === grpc.status.PERMISSION_DENIED ? r.error : undefined;
    }, POLICY_WAIT_MS);
    assert.equal(refused.code, grpc.status.PERMISSION_DENIED);
    // B's policy decided it (not A, which guards nothing on its outbound side).
    assert.ok(await mesh.b.metric('sluice_proxy_rbac_decisions_total', { policy: 'b-deny-a', result: 'denied' }) >= 1, 'B counted the denial');
  });
});
