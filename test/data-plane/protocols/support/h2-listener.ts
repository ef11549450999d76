// Set-ups for the h2-downstream-* tests: a Sluice HTTP listener (cleartext, so HTTP/2 by prior
// knowledge) in front of a fake node:http upstream, either in this process (startMesh: drains and
// metrics are at hand) or as a `sluice proxy` child process (for floods: the proxy's memory is its
// own, and "the proxy stays up" means its process did not exit). Both are stopped by t.after.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as h2connect } from 'node:http2';
import type { TestContext } from 'node:test';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../../helpers/config-yaml.js';
import { echoHandler, startUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { startMesh, type MeshFixture } from '../../helpers/mesh-fixture.js';
import { startProxyProcess, type ProxyProcess } from '../../helpers/proxy-process.js';
import { RawH2Client } from './raw-h2-client.js';

/** The listener's `limits` as a YAML flow map, e.g. `{idleTimeoutMs: 800}` (empty: the defaults). */
export type LimitsYaml = string;

function configYaml(upstreamPort: number | string, limits: LimitsYaml, routeMore = ''): string {
  return yamlDocs(clusterYaml('web', [upstreamPort]), catchAllRouteYaml('web', 'web', routeMore), listenerYaml('main', 0, limits ? `limits: ${limits}\n` : ''));
}

export interface InProcess {
  readonly port: number;
  readonly upstream: FakeUpstream;
  readonly mesh: MeshFixture;
  /** Drains and stops the proxy (the listener sends GOAWAY); later calls do nothing. */
  close(): Promise<void>;
}

/** A MeshProxy in this process with Listener `main` (limits as given) in front of a node:http upstream. */
export async function startInProcess(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void = echoHandler, limits: LimitsYaml = '', routeMore = ''): Promise<InProcess> {
  const upstream = await startUpstream(handler);
  const mesh = await startMesh(configYaml('{{up}}', limits, routeMore), { up: upstream.port });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= mesh.close());
  const port = mesh.port();
  t.after(async () => {
    // Clients first: the drain would wait for connections a test left open.
    RawH2Client.destroyAllTo(port);
    await close();
    await upstream.close();
  });
  return { port, upstream, mesh, close };
}

export interface InChild {
  readonly port: number;
  readonly upstream: FakeUpstream;
  readonly proxy: ProxyProcess;
  /** The proxy process's resident set, in bytes. */
  rss(): number;
  /** The process is still running. */
  alive(): boolean;
}

/** A one-worker `sluice proxy` child process (no admin server) in front of a node:http upstream in this process. */
export async function startInChild(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void = echoHandler, limits: LimitsYaml = ''): Promise<InChild> {
  const upstream = await startUpstream(handler);
  const proxy = await startProxyProcess(configYaml(upstream.port, limits), ['--workers', '1', '--admin-listen', 'off']);
  t.after(async () => {
    RawH2Client.destroyAllTo(proxy.ports.get('main')!);
    await proxy.stop();
    await upstream.close();
  });
  return {
    port: proxy.ports.get('main')!,
    upstream,
    proxy,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proxy.pid}/status`, 'utf8'));
      return m === null ? 0 : Number(m[1]) * 1024;
    },
    alive: () => proxy.child.exitCode === null && proxy.child.signalCode === null,
  };
}

/** A GET over a fresh node:http2 client connection: its status (0 if none came within timeoutMs). */
export async function freshGet(port: number, path = '/fresh', timeoutMs = 3000): Promise<number> {
  const session = h2connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    return await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(0), timeoutMs);
      const stream = session.request({ ':path': path }, { endStream: true });
      stream.on('error', () => {});
      stream.on('response', (h) => {
        clearTimeout(timer);
        resolve(Number(h[':status']));
      });
      stream.resume();
    });
  } finally {
    session.destroy();
  }
}
