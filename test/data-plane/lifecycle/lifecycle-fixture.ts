// Shared by the lifecycle tests: a `sluice proxy` process in front of a fake upstream with
// fast and slow paths, its admin port, and small probes (ready status, exit wait, worker pids).
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess, type ProxyProcess } from '../helpers/proxy-process.js';

export interface LifecycleProxy {
  readonly upstream: FakeUpstream;
  readonly proxy: ProxyProcess;
  readonly port: number;
  readonly adminPort: number;
  close(): Promise<void>;
}

/** `/slow?ms=N` answers after N ms; anything else at once with `ok <path>`. */
export async function startLifecycleProxy(args: string[]): Promise<LifecycleProxy> {
  const upstream = await startUpstream((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const ms = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? '1000') : 0;
    req.resume();
    const answer = (): void => {
      if (!res.destroyed) res.end(`ok ${url.pathname}`);
    };
    // Unref: a cut request must not keep the test process alive for its delay.
    if (ms > 0) setTimeout(answer, ms).unref();
    else req.on('end', answer);
  });
  const [port, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(
    yamlDocs(clusterYaml('up', [upstream.port]), catchAllRouteYaml('all', 'up'), listenerYaml('public', port)),
    ['--admin-listen', `127.0.0.1:${adminPort}`, ...args],
  );
  return {
    upstream,
    proxy,
    port,
    adminPort,
    close: async () => {
      await proxy.stop();
      await upstream.close();
    },
  };
}

/** The status /ready answers, or 0 when the admin server cannot be reached. */
export async function readyStatus(adminPort: number): Promise<number> {
  try {
    const res = await request(`http://127.0.0.1:${adminPort}/ready`, { reset: true, headersTimeout: 2000 });
    await res.body.text();
    return res.statusCode;
  } catch {
    return 0;
  }
}

/** Resolves with the exit code (or signal name) and when it came. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
}

/** A TCP connect to 127.0.0.1:port: 'connected' or the error code (ECONNREFUSED). */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The child processes of `pid` (the proxy's workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number).sort();
  } catch {
    return [];
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
