// Mutual TLS must not cost a handshake per request: after 1,000 keep-alive requests from A to B
// (four client connections, two workers per proxy), A opened only a few upstream connections to B.
// Counted twice: by A's sluice_proxy_upstream_connections_total{cluster, kind="new"} and by a relay
// the test owns between the sidecars (every TCP connection it accepts is one TLS handshake).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'undici';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { startRecordingRelay } from './support/recording-relay.js';
import { CLUSTER, startTwoSidecars } from './support/two-sidecars.js';

const REQUESTS = 1000;
const CLIENT_CONNECTIONS = 4;
const WORKERS = 2;

test('1,000 keep-alive requests from A to B open no more than a few mutual-TLS connections', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream((_req, res) => res.end('ok'));
  cleanup(() => app.close());
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port, workers: WORKERS });
  const relay = await startRecordingRelay(mesh.b.port, 16);
  cleanup(() => relay.close());
  await mesh.setEndpoint(relay.port);

  const pool = new Pool(`http://127.0.0.1:${mesh.a.port}`, { connections: CLIENT_CONNECTIONS, pipelining: 1 });
  cleanup(() => pool.close());
  const newBefore = await mesh.a.metric('sluice_proxy_upstream_connections_total', { cluster: CLUSTER, kind: 'new' });
  const reusedBefore = await mesh.a.metric('sluice_proxy_upstream_connections_total', { cluster: CLUSTER, kind: 'reused' });
  const relayBefore = relay.sent.length;
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(Array.from({ length: CLIENT_CONNECTIONS }, async () => {
    while (next < REQUESTS) {
      next++;
      const r = await pool.request({ path: '/reuse', method: 'GET', headers: { host: 'b' } });
      await r.body.text();
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
    }
  }));
  assert.deepEqual([...statuses], [[200, REQUESTS]]);

  const opened = (await mesh.a.metric('sluice_proxy_upstream_connections_total', { cluster: CLUSTER, kind: 'new' })) - newBefore;
  const reused = (await mesh.a.metric('sluice_proxy_upstream_connections_total', { cluster: CLUSTER, kind: 'reused' })) - reusedBefore;
  const handshakes = relay.sent.length - relayBefore;
  t.diagnostic(`${REQUESTS} requests A→B: ${opened} new upstream connections, ${reused} reused (metric); ${handshakes} TCP connections through the relay`);
  const bound = WORKERS * CLIENT_CONNECTIONS;
  assert.ok(opened <= bound, `${opened} new upstream connections for ${REQUESTS} requests (at most ${bound} expected)`);
  assert.ok(handshakes <= bound, `${handshakes} connections through the relay (at most ${bound} expected)`);
  assert.ok(opened + reused >= REQUESTS, `new + reused = ${opened + reused}, fewer than the ${REQUESTS} requests`);
  for (const [i, bytes] of relay.sent.slice(relayBefore).entries()) assert.equal(bytes[0], 0x16, `connection ${i} is TLS`);
});
