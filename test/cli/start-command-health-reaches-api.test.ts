// `sluice start` (npm start) builds its control plane the way `sluice control-plane` does: the local
// proxy's active health checks reach GET /v1/health as the replica's vote (not only the elected
// checker's), and the effective health comes back to the proxy in the Endpoints it is pushed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../data-plane/helpers/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

interface HealthRow {
  readonly cluster: string;
  readonly port: number;
  readonly health: string;
  readonly verdicts: ReadonlyArray<{ readonly source: string; readonly health: string }>;
}

test('npm start: the local proxy\'s health report reaches /v1/health and the Endpoints it is pushed', { timeout: 60_000 }, async (t) => {
  const live = await startUpstream();
  t.after(() => live.close());
  const deadPort = await freePort();
  const proc = new SluiceProcess(['start', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--proxy-listen', `127.0.0.1:${await freePort()}`, '--proxy-admin-listen', '127.0.0.1:0']);
  t.after(() => proc.stop());
  await proc.waitFor(/Stop with Ctrl-C/, 30_000);
  const api = proc.stdout.match(/admin API {2}(http:\/\/127\.0\.0\.1:\d+)/)![1]!;
  const token = proc.stdout.match(/token {6}(\S+)/)![1]!;
  const admin = proc.stdout.match(/admin (http:\/\/127\.0\.0\.1:\d+)/)![1]!;

  const applied = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], {
    stdin: `kind: Cluster
name: checked
endpoints: [{address: 127.0.0.1, port: ${live.port}}, {address: 127.0.0.1, port: ${deadPort}}]
healthCheck:
  http: {path: /healthz}
  intervalMs: 200
  timeoutMs: 200
  unhealthyThreshold: 1
  healthyThreshold: 1
`,
  });
  assert.equal(applied.code, 0, applied.stderr);

  const health = async (): Promise<HealthRow[]> =>
    ((await (await fetch(`${api}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { endpoints: HealthRow[] }).endpoints;
  // The replica's vote: its proxies' verdict (source = the replica id), beside the checker's own.
  const voted = (port: number, want: string) => async (): Promise<HealthRow | undefined> =>
    (await health()).find((e) => e.cluster === 'checked' && e.port === port && e.health === want && e.verdicts.some((v) => v.source !== 'checker' && v.health === want));
  const down = await until(`/v1/health: :${deadPort} UNHEALTHY by the proxies' vote`, voted(deadPort, 'UNHEALTHY'), 20_000);
  await until(`/v1/health: :${live.port} HEALTHY by the proxies' vote`, voted(live.port, 'HEALTHY'), 20_000);
  t.diagnostic(`verdicts on the dead endpoint: ${JSON.stringify(down.verdicts)}`);

  const pushed = await until('the proxy is pushed the dead endpoint as UNHEALTHY', async () => {
    const dump = (await (await fetch(`${admin}/config_dump`)).json()) as { resources: Array<{ kind: string; name: string; endpoints?: Array<{ port: number; health?: string }> }> };
    const endpoints = dump.resources.find((r) => r.kind === 'Endpoints' && r.name === 'checked')?.endpoints;
    return endpoints?.find((e) => e.port === deadPort)?.health === 'UNHEALTHY' ? endpoints : undefined;
  }, 20_000);
  assert.equal(pushed.find((e) => e.port === live.port)?.health, 'HEALTHY');
});
