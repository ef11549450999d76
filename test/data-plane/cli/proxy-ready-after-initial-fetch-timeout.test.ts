// A control plane that holds nothing for a proxy sends it nothing, and an unreachable one sends
// nothing either: after --initial-fetch-timeout-ms the proxy serves what it has (Envoy's
// initial_fetch_timeout), so a sidecar's inbound listener reaches the application and /ready is 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';
import { httpAnswer, type HttpAnswer } from '../../support/http-answer.js';

const get = (port: number, path: string): Promise<HttpAnswer | undefined> => httpAnswer(port, path);

function waitForStatus(port: number, path: string, status: number, timeoutMs: number): Promise<{ status: number; body: string }> {
  return until(`GET ${path} on ${port} to answer ${status}`, async () => {
    const answer = await get(port, path);
    if (answer?.status !== status) throw new Error(`GET ${path} on ${port}: ${answer?.status ?? 'nothing'}, not ${status}`);
    return answer;
  }, timeoutMs, 100);
}

for (const controlPlane of ['empty', 'unreachable'] as const) {
  test(`a sidecar whose control plane is ${controlPlane} is ready with its inbound listener after the initial fetch timeout`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-initial-fetch-'));
    writeFileSync(join(dir, 'token'), 'initial-fetch-token\n');
    const app = createServer((_req, res) => res.end('the app'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const [apiPort, discoveryPort, adminPort, inboundPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const cp =
      controlPlane === 'empty'
        ? new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', join(dir, 'token')])
        : undefined;
    if (cp !== undefined) await waitForStatus(apiPort, '/readyz', 200, 10_000);
    const proxy = new SluiceProcess([
      'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', `sidecar-${controlPlane}`, '--token-file', join(dir, 'token'),
      '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state'), '--initial-fetch-timeout-ms', '500',
      '--inbound-listen', `127.0.0.1:${inboundPort}`, '--app-port', String((app.address() as { port: number }).port),
    ]);
    t.after(async () => {
      await proxy.stop();
      await cp?.stop();
      app.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await proxy.waitFor(/sluice proxy: ready/);
    assert.equal((await get(adminPort, '/live'))?.status, 200);
    await waitForStatus(adminPort, '/ready', 200, 5000);
    assert.equal((await get(inboundPort, '/'))?.body, 'the app');
  });
}
