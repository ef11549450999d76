// A TCP cluster between two sidecars: A's TCP listener reaches an endpoint whose `identity` is B's over
// mutual TLS (the bytes between them are TLS, none of the payload in clear), B's inbound TCP listener
// terminates it and pipes to its application knowing the caller, half-close works through TLS, no byte
// leaves A before it holds its certificate, STRICT closes plain-text callers, and an endpoint proving
// another identity is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { workloadIdentity } from '../../../data-plane/src/identity/workload-identity.js';
import { INBOUND_LISTENER } from '../../../data-plane/src/cli/sidecar-listener-names.js';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import type { TcpConnectionRecord } from '../../../data-plane/src/tcp/tcp-proxy-server.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { createSpiffePki, type KeyPair } from '../helpers/spiffe-pki.js';
import { startRelay } from '../helpers/tcp-relay.js';
import { exchange, sha256, startTcpUpstream } from '../helpers/tcp-servers.js';
import { until } from '../../support/until.js';

const A = 'spiffe://sluice.local/svc/a';
const B = 'spiffe://sluice.local/svc/b';

const inboundB = (appPort: number, mode = ''): string => `kind: Listener
name: ${INBOUND_LISTENER}
address: 127.0.0.1
port: 0
protocol: TCP
tcp: {cluster: app}
---
kind: Cluster
name: app
endpoints: [{address: 127.0.0.1, port: ${appPort}}]
${mode === '' ? '' : `---
kind: PeerAuthentication
name: b-mode
selector: {service: b}
mode: ${mode}
`}`;

const outboundA = (port: number, identity: string): string => `kind: Cluster
name: b
endpoints: [{address: 127.0.0.1, port: ${port}, identity: "${identity}"}]
---
kind: Listener
name: to-b
address: 127.0.0.1
port: 0
protocol: TCP
tcp: {cluster: b, maxConnectAttempts: 1}
`;

const identityOf = (id: string, pair: KeyPair, ca: string) => workloadIdentity(id, pair.key, pair.cert, ca);

test('a TCP cluster between sidecars is mutual TLS as the endpoint\'s identity; STRICT and the wrong identity refuse', { timeout: 60_000 }, async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const app = await startTcpUpstream();
  t.after(() => app.close());
  const recordsB: TcpConnectionRecord[] = [];
  const b = await startMesh(inboundB(app.port), {}, { meshTls: true, workload: { service: 'b', namespace: '' }, onTcpConnection: (r) => recordsB.push(r) });
  t.after(() => b.close());
  b.mesh.setWorkloadIdentity(identityOf(B, pki.workload(B), pki.ca));
  const relay = await startRelay(b.port(INBOUND_LISTENER));
  t.after(() => relay.close());
  const a = await startMesh(outboundA(relay.port, B), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => a.close());

  const marker = Buffer.from('SECRET-MARKER-'.repeat(4));
  // Without its certificate A sends nothing in clear: the handshake fails, the client is closed.
  const early = await exchange(a.port('to-b'), marker);
  assert.equal(early.bytes, 0);
  assert.equal(relay.bytes().includes(marker), false, 'nothing crossed in clear before the certificate');

  a.mesh.setWorkloadIdentity(identityOf(A, pki.workload(A), pki.ca));
  const payload = Buffer.concat([marker, randomBytes(4 * 1024 * 1024), marker]);
  const back = await exchange(a.port('to-b'), payload);
  assert.equal(back.bytes, payload.length);
  assert.equal(back.sha256, sha256(payload), 'echoed whole through TLS, the client\'s FIN passed on and the echo\'s FIN back');
  const wire = relay.bytes();
  assert.equal(wire[0], 0x16, 'the first byte between the sidecars is a TLS handshake record');
  assert.equal(wire.includes(marker), false, 'the payload never crossed in clear');
  assert.ok(wire.length > payload.length, 'every payload byte crossed, encrypted');
  await until('B\'s record', () => recordsB.find((r) => r.result === 'success'));
  assert.equal(recordsB.find((r) => r.result === 'success')!.principal, A, 'B knows the caller from its verified certificate');

  // PERMISSIVE (the default): a plain-text client of B's inbound port is piped too.
  assert.equal((await exchange(b.port(INBOUND_LISTENER), Buffer.from('plain'))).text, 'plain');
  // STRICT: plain text is closed without a byte; A, over mutual TLS, still goes through.
  const strict = parseConfigText(inboundB(app.port, 'STRICT'), 'yaml');
  assert.ok(strict.ok);
  assert.equal((await b.mesh.applyResources(strict.config.resources)).ok, true);
  assert.equal((await exchange(b.port(INBOUND_LISTENER), Buffer.from('plain'))).bytes, 0);
  assert.equal(b.mesh.listeners.closedConnections.get(INBOUND_LISTENER, 'mtls_required'), 1);
  assert.equal((await exchange(a.port('to-b'), Buffer.from('after strict'))).text, 'after strict');

  // An endpoint whose certificate names another workload is not the one expected: refused.
  const wrong = await startMesh(outboundA(b.port(INBOUND_LISTENER), 'spiffe://sluice.local/svc/c'), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => wrong.close());
  wrong.mesh.setWorkloadIdentity(identityOf(A, pki.workload(A), pki.ca));
  assert.equal((await exchange(wrong.port('to-b'), Buffer.from('x'))).bytes, 0);
  assert.match(await wrong.mesh.metrics.registry.metrics(), /sluice_proxy_tcp_connections_total\{listener="to-b",cluster="b",result="connect_failure"\} 1/);
});
