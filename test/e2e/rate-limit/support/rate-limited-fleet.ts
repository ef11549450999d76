// A fleet of real `sluice proxy` processes serving one rate-limited route, for the tests of mesh-scoped
// rate limits: each proxy has a listener of its own (selected by its --service), a route without a
// limit (open.local: how a test sees a proxy serve without spending tokens) and the limited route.
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddCleanup } from '../../../support/cleanup-stack.js';
import { freePort } from '../../../support/free-port.js';
import { httpAnswer } from '../../../support/http-answer.js';
import { SluiceProcess } from '../../../support/run-sluice.js';
import { until } from '../../../support/until.js';

export const LIMITED_HOST = 'limited.local';

export interface FleetProxy {
  /** Its --node-id and --service, and its listener's name. */
  readonly name: string;
  readonly workers: number;
  /** The discovery address it follows. */
  readonly controlPlane: string;
}

export interface RunningFleet {
  readonly ports: number[];
  readonly admins: number[];
  /** Route, cluster and listeners with the limit in this scope. */
  yaml(limit: { readonly rate: number; readonly burst: number; readonly scope: 'proxy' | 'mesh' }): string;
  /** Starts the proxies, once the control plane holds a configuration (yaml()). */
  start(): Promise<void>;
  /** Every proxy at the control plane's current revision (asked of `api`), serving open.local. */
  converged(api: string, token: string): Promise<void>;
}

export async function rateLimitedFleet(cleanup: AddCleanup, proxies: readonly FleetProxy[], tokenFile: string, dir: string): Promise<RunningFleet> {
  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  cleanup(() => upstream.close());
  const upstreamPort = (upstream.address() as { port: number }).port;
  const ports = await Promise.all(proxies.map(() => freePort()));
  const admins = await Promise.all(proxies.map(() => freePort()));
  return {
    ports,
    admins,
    yaml: ({ rate, burst, scope }) => `kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: open
hosts: ["open.local"]
forward: {cluster: up}
---
kind: Route
name: limited
hosts: ["${LIMITED_HOST}"]
forward: {cluster: up}
filters: [{name: rate-limit, config: {requestsPerSecond: ${rate}, burst: ${burst}, key: global, scope: ${scope}}}]
${proxies.map((p, i) => `---\nkind: Listener\nname: ${p.name}\naddress: 127.0.0.1\nport: ${ports[i]}\nselector: {service: ${p.name}}\n`).join('')}`,
    start: async () => {
      const running = proxies.map((p, i) => {
        const proxy = new SluiceProcess([
          'proxy', '--control-plane', p.controlPlane, '--node-id', p.name, '--service', p.name, '--token-file', tokenFile,
          '--workers', String(p.workers), '--admin-listen', `127.0.0.1:${admins[i]}`, '--state-dir', join(dir, p.name),
        ]);
        cleanup(() => proxy.stop());
        return proxy;
      });
      await Promise.all(running.map((p) => p.waitFor(/sluice proxy: ready/, 30_000)));
    },
    converged: async (api, token) => {
      await until('every proxy at the current revision', async () => {
        const r = (await (await fetch(`${api}/v1/rollout`, { headers: { authorization: `Bearer ${token}` } })).json()) as { proxies: number; at: number };
        return r.proxies === proxies.length && r.at === proxies.length;
      }, 30_000);
      for (const port of ports) await until(`open.local on ${port}`, async () => (await httpAnswer(port, '/', { headers: { host: 'open.local' } }))?.status === 200, 30_000);
    },
  };
}
