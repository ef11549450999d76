// One round of "an endpoint killed under full load": upstreams in processes of their own, a real
// `sluice proxy --config FILE --workers 2` with a cluster and retry policy like examples/mesh.yaml's
// `web`, wrk with no rate limit, and one upstream killed with SIGKILL mid-run. Counts what the
// clients saw and how long the proxy kept trying the dead endpoint. Shared by the e2e test and
// test/bench/failover-bench.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { spawnGuarded, stopChild } from '../../support/process-guard.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';

const UPSTREAM = fileURLToPath(new URL('./upstream-process.js', import.meta.url));

export interface FailoverRoundOptions {
  /** Endpoints of the cluster (one of them is killed). */
  readonly endpoints: number;
  /** wrk's run, in seconds. */
  readonly durationS: number;
  /** When the endpoint is killed, after wrk started. */
  readonly killAfterMs: number;
  readonly connections?: number;
  readonly workers?: number;
  /** The cluster's loadBalancing (ROUND_ROBIN, as mesh.yaml's `web`). */
  readonly loadBalancing?: string;
  /** Extra lines of the Cluster resource (an outlierDetection block). */
  readonly clusterExtra?: string;
  readonly log?: (line: string) => void;
}

export interface FailoverRoundResult {
  readonly endpoints: number;
  /** Requests wrk completed. */
  readonly requests: number;
  /** Non-2xx answers plus socket errors (connect, read, write, timeout). */
  readonly failed: number;
  readonly failedPercent: number;
  readonly requestsPerSecond: number;
  /** From the kill to the last try the proxy made to the dead endpoint (connect or pooled request), as /clusters saw it. */
  readonly lastTryMs: number;
  /** From the kill until no worker balanced over the dead endpoint; -1: it never left. */
  readonly goneMs: number;
  /** The proxy's error counts by code (sluice_proxy_errors_total). */
  readonly errors: Readonly<Record<string, number>>;
  /** wrk's own summary lines, for a failing assertion's message. */
  readonly wrkOutput: string;
}

interface EndpointView {
  port: number;
  serving: number;
  pool: { created: number; reused: number; connectFailures: number };
}

/** Starts one upstream process; resolves with its port once it listens. */
async function startUpstream(name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnGuarded(process.execPath, [UPSTREAM, name]);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const port = await until(`upstream ${name} to listen`, () => {
    if (child.exitCode !== null) throw new Error(`upstream ${name} exited with ${child.exitCode}`);
    const m = /listening (\d+)/.exec(out);
    return m === null ? undefined : Number(m[1]);
  }, 10_000, 20);
  return { child, port };
}

function clusterYaml(ports: readonly number[], listenPort: number, options: FailoverRoundOptions): string {
  return `kind: Cluster
name: web
protocol: HTTP1
loadBalancing: ${options.loadBalancing ?? 'ROUND_ROBIN'}
connectTimeoutMs: 1000
endpoints: [${ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]
healthCheck:
  http: {path: /healthz}
  intervalMs: 1000
  timeoutMs: 500
  unhealthyThreshold: 2
  healthyThreshold: 1
${options.clusterExtra ?? ''}
---
kind: Route
name: web
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: web}
timeoutMs: 5000
retry:
  attempts: 2
  on: [CONNECT_FAILURE, RESET, GATEWAY_ERROR]
---
kind: Listener
name: public
address: 127.0.0.1
port: ${listenPort}
protocol: HTTP
`;
}

/** wrk's summary: requests, non-2xx answers and socket errors. */
export function parseWrk(out: string): { requests: number; seconds: number; failed: number } {
  const done = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  if (done === null) throw new Error(`wrk printed no summary:\n${out}`);
  const unit = done[3] === 'ms' ? 0.001 : done[3] === 'm' ? 60 : 1;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket === null ? 0 : socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0);
  return { requests: Number(done[1]), seconds: Number(done[2]) * unit, failed: non2xx + socketErrors };
}

export async function runFailoverRound(options: FailoverRoundOptions): Promise<FailoverRoundResult> {
  const log = options.log ?? (() => {});
  const workers = options.workers ?? 2;
  const ups: { child: ChildProcess; port: number }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-failover-'));
  let proxy: SluiceProcess | undefined;
  try {
    for (let i = 0; i < options.endpoints; i++) ups.push(await startUpstream(`u${i}`));
    const [listenPort, adminPort] = [await freePort(), await freePort()];
    const config = join(dir, 'mesh.yaml');
    writeFileSync(config, clusterYaml(ups.map((u) => u.port), listenPort, options));
    proxy = new SluiceProcess(['proxy', '--config', config, '--workers', String(workers), '--admin-listen', `127.0.0.1:${adminPort}`, '--drain-timeout-ms', '0']);
    await proxy.waitFor(/sluice proxy: ready/, 30_000);
    const view = async (): Promise<EndpointView[]> => {
      const body = (await (await request(`http://127.0.0.1:${adminPort}/clusters`)).body.json()) as { clusters: Array<{ name: string; endpoints: EndpointView[] }> };
      return body.clusters.find((c) => c.name === 'web')?.endpoints ?? [];
    };
    await until('every endpoint serving in every worker', async () => ((await view()).filter((e) => e.serving === workers).length === options.endpoints ? true : undefined), 20_000);

    const victim = ups[ups.length - 1]!;
    const wrk = spawnGuarded('wrk', ['-t1', `-c${options.connections ?? 50}`, `-d${options.durationS}s`, '--timeout', '5s', `http://127.0.0.1:${listenPort}/`]);
    let wrkOut = '';
    wrk.stdout!.on('data', (c: Buffer) => (wrkOut += c.toString()));
    wrk.stderr!.on('data', (c: Buffer) => (wrkOut += c.toString()));
    const wrkDone = new Promise<void>((resolve) => wrk.once('exit', () => resolve()));
    let finished = false;
    void wrkDone.then(() => (finished = true));

    await new Promise((r) => setTimeout(r, options.killAfterMs));
    const tries = (e: EndpointView | undefined): number => (e === undefined ? 0 : e.pool.created + e.pool.reused + e.pool.connectFailures);
    let last = tries((await view()).find((e) => e.port === victim.port));
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    log(`killed upstream on port ${victim.port}`);
    let lastTryMs = 0;
    let goneMs = -1;
    // Tries of the dead endpoint, watched until wrk ends: the last time the count moved.
    while (!finished) {
      await Promise.race([wrkDone, new Promise((r) => setTimeout(r, 50))]);
      const e = (await view().catch(() => [])).find((x) => x.port === victim.port);
      if (e === undefined) continue;
      const n = tries(e);
      if (n !== last) {
        last = n;
        lastTryMs = performance.now() - killedAt;
      }
      if (e.serving === 0 && goneMs < 0) goneMs = performance.now() - killedAt;
    }
    const metrics = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
    const errors: Record<string, number> = {};
    for (const m of metrics.matchAll(/^sluice_proxy_retries_refused_total\{[^}]*limit="([^"]+)"[^}]*\} (\d+)/gm)) if (Number(m[2]) > 0) errors[`refused ${m[1]}`] = Number(m[2]);
    for (const m of metrics.matchAll(/^sluice_proxy_errors_total\{[^}]*code="([^"]+)"[^}]*\} (\d+)/gm)) errors[m[1]!] = (errors[m[1]!] ?? 0) + Number(m[2]);
    const w = parseWrk(wrkOut);
    return {
      endpoints: options.endpoints,
      requests: w.requests,
      failed: w.failed,
      failedPercent: w.requests === 0 ? 100 : (w.failed * 100) / w.requests,
      requestsPerSecond: w.requests / w.seconds,
      lastTryMs,
      goneMs,
      errors,
      wrkOutput: wrkOut.split('\n').filter((l) => /requests in|Non-2xx|Socket errors|Requests\/sec/.test(l)).join('\n'),
    };
  } finally {
    await proxy?.stop();
    await Promise.all(ups.map((u) => stopChild(u.child, 1000)));
    rmSync(dir, { recursive: true, force: true });
  }
}
