// Workload certificates that live 4 seconds (renewed at half-life) while wrk drives keep-alive load
// from A to B over mutual TLS: both proxies renew at least twice during the load (their /certs
// serials change), and no request fails. A's cluster closes each upstream connection after 100
// requests, so new handshakes keep happening with whichever certificates are current; a relay
// between the sidecars counts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { until } from '../../support/until.js';
import { startRecordingRelay } from './support/recording-relay.js';
import { watchSerials } from './support/serial-watch.js';
import { startTwoSidecars } from './support/two-sidecars.js';
import { loadLoop } from './support/wrk-load.js';

const TTL_SECONDS = 4;

test('both proxies renew their certificates twice under keep-alive load and no request fails', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream((_req, res) => res.end('ok'));
  cleanup(() => app.close());
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port, workloadCertTtlSeconds: TTL_SECONDS, clusterExtra: 'pool: {maxRequestsPerConnection: 100}' });
  const relay = await startRecordingRelay(mesh.b.port, 16);
  cleanup(() => relay.close());
  await mesh.setEndpoint(relay.port);

  const load = loadLoop(mesh.a.port);
  cleanup(() => load.stop());
  const [a, b] = [watchSerials(mesh.a), watchSerials(mesh.b)];
  cleanup(() => (a.stop(), b.stop()));
  const relayBefore = relay.sent.length;
  // The serial held when the load started, then two renewals.
  await until(() => `two renewals of each proxy under load (A: ${a.serials.join(', ')}; B: ${b.serials.join(', ')})`, () => a.serials.length >= 3 && b.serials.length >= 3, 30_000);
  const handshakesAtRenewal = relay.sent.length;
  // Handshakes made with the renewed certificates, not only connections opened before them.
  await until('new mutual-TLS connections after the renewals', () => relay.sent.length >= handshakesAtRenewal + 4, 10_000);
  const result = await load.stop();
  t.diagnostic(`${TTL_SECONDS}-second certificates: A held ${a.serials.length} serials, B ${b.serials.length}; ${result.requests} requests in ${result.runs} wrk runs (${result.seconds.toFixed(1)} s), ${result.failed} failed; ${relay.sent.length - relayBefore} mutual-TLS connections opened`);
  assert.ok(result.requests >= 200, `too little load:\n${result.output}`);
  assert.equal(result.failed, 0, result.output);
  for (const bytes of relay.sent) assert.equal(bytes[0], 0x16);
});
