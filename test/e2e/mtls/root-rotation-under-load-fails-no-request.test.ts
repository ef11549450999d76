// The three-step root rotation of docs/identity.md (`sluice ctl ca add-root`, `use-root`,
// `remove-root`), each step followed by two renewals of both proxies, while wrk drives keep-alive load
// from A to B over mutual TLS and A's cluster keeps opening new connections (100 requests each): no
// request fails, and at the end B's inbound serves a chain that verifies with the new root alone and
// no longer with the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { until } from '../../support/until.js';
import { opensslSClient } from './support/openssl-s-client.js';
import { watchSerials, type SerialWatch } from './support/serial-watch.js';
import { startTwoSidecars } from './support/two-sidecars.js';
import { loadLoop } from './support/wrk-load.js';

const TTL_SECONDS = 3;

interface Root {
  serial: string;
  signing: boolean;
  pem?: string;
}

test('add-root, use-root, remove-root under keep-alive load: no request fails', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream((_req, res) => res.end('ok'));
  cleanup(() => app.close());
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port, workloadCertTtlSeconds: TTL_SECONDS, clusterExtra: 'pool: {maxRequestsPerConnection: 100}' });
  const bundle = async (): Promise<{ roots: Root[]; pem: string }> =>
    (await (await fetch(`${mesh.cp.api}/v1/trust-bundle`, { headers: { authorization: `Bearer ${mesh.cp.token}` } })).json()) as { roots: Root[]; pem: string };
  const first = await bundle();
  const [oldRoot] = first.roots;
  const oldRootFile = join(mesh.cp.dir, 'old-root.pem');
  writeFileSync(oldRootFile, first.pem);
  const ctlCa = async (...args: string[]) => {
    const r = await mesh.cp.ctl('ca', ...args);
    assert.equal(r.code, 0, `sluice ctl ca ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const [a, b] = [watchSerials(mesh.a), watchSerials(mesh.b)];
  cleanup(() => (a.stop(), b.stop()));
  // A renewal requested after the step returned follows it: the second one seen after it surely did.
  const twoRenewals = async (step: string) => {
    const from = (w: SerialWatch) => w.serials.length;
    const [fa, fb] = [from(a), from(b)];
    await until(() => `two renewals of each proxy after ${step} (A: ${a.serials.slice(fa).join(', ')}; B: ${b.serials.slice(fb).join(', ')})`,
      () => a.serials.length >= fa + 2 && b.serials.length >= fb + 2, 20_000);
  };

  const load = loadLoop(mesh.a.port);
  cleanup(() => load.stop());
  const added = await ctlCa('add-root');
  const newSerial = added.trim().split('\n').slice(1).map((row) => row.split(/\s+/)[0]!).find((s) => s.toLowerCase() !== oldRoot!.serial.toLowerCase())!;
  assert.ok(newSerial !== undefined, added);
  await twoRenewals('add-root');
  await ctlCa('use-root', newSerial);
  await twoRenewals('use-root');
  await ctlCa('remove-root', oldRoot!.serial);
  await twoRenewals('remove-root');
  const result = await load.stop();
  t.diagnostic(`root rotation with ${TTL_SECONDS}-second certificates: ${result.requests} requests in ${result.runs} wrk runs (${result.seconds.toFixed(1)} s), ${result.failed} failed; A held ${a.serials.length} serials, B ${b.serials.length}`);
  assert.ok(result.requests >= 200, `too little load:\n${result.output}`);
  assert.equal(result.failed, 0, result.output);

  // B now serves a chain from the new root only.
  const finalBundle = await bundle();
  assert.deepEqual(finalBundle.roots.map((r) => r.serial.toLowerCase()), [newSerial.toLowerCase()]);
  const newRootFile = join(mesh.cp.dir, 'new-root.pem');
  writeFileSync(newRootFile, finalBundle.pem);
  const verified = await opensslSClient(mesh.b.port, ['-CAfile', newRootFile]);
  assert.match(verified.output, /Verify return code: 0 \(ok\)/, verified.output);
  assert.match(verified.serverSan, /URI:spiffe:\/\/sluice\.local\/svc\/b\b/);
  const stale = await opensslSClient(mesh.b.port, ['-CAfile', oldRootFile]);
  assert.doesNotMatch(stale.output, /Verify return code: 0 \(ok\)/, 'the old root no longer verifies B');
});
