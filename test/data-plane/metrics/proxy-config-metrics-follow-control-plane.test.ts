// `sluice proxy --control-plane ... --workers 2` reports on its /metrics the control-plane
// revision it serves and counts the NACKs its discovery client sends; the last good revision stays.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../support/free-port.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { cluster, route, startMesh, TEST_TOKEN } from '../../discovery/support/discovery-fixture.js';
import { until } from '../../support/until.js';

function value(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

test('a proxy following the control plane shows its revision and counts its NACKs', { timeout: 60_000 }, async (t) => {
  const mesh = await startMesh();
  t.after(() => mesh.stop());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-proxy-nacks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), TEST_TOKEN);
  const first = await mesh.cp.api.apply([cluster('web'), route('good', 'web')]);
  const goodRevision = Number(first.headers.get('sluice-revision'));

  const [adminPort, outboundPort] = [await freePort(), await freePort()];
  const proxy = new SluiceProcess([
    'proxy', '--control-plane', mesh.cp.address, '--token-file', join(dir, 'token'), '--node-id', 'metrics-proxy', '--state-dir', join(dir, 'state'),
    '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--outbound-listen', `127.0.0.1:${outboundPort}`,
  ]);
  t.after(() => proxy.stop());
  await proxy.waitFor(/sluice proxy: ready/);
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();

  await until('the proxy serves the first revision', async () => value(await scrape(), 'sluice_proxy_config_revision') === goodRevision, 15_000);
  let page = await scrape();
  assert.equal(value(page, 'sluice_proxy_config_nacks_total'), 0);

  // A route naming a filter this proxy does not have: every worker refuses it, the client NACKs once.
  await mesh.cp.api.apply([route('bad', 'web', { filters: [{ name: 'no-such-filter' }] })]);
  await until('the NACK is counted', async () => value(await scrape(), 'sluice_proxy_config_nacks_total') === 1, 15_000);
  page = await scrape();
  assert.equal(value(page, 'sluice_proxy_config_revision'), goodRevision, 'the last good revision keeps serving');
  assert.equal(value(page, 'sluice_proxy_config_updates_total{result="rejected"}'), 1);
  assert.ok(value(page, 'sluice_proxy_config_updates_total{result="applied"}') >= 1);
});
