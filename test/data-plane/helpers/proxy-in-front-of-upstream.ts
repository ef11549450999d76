// A one-worker `sluice proxy` process (no admin server) in front of a fresh fake upstream, both
// stopped when the test ends: the set-up of tests that throw raw bytes at the real listener and then
// check that the proxy still serves.
import type { TestContext } from 'node:test';
import { startUpstream } from './fake-upstream.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';

export interface ProxyInFront {
  readonly proxy: ProxyProcess;
  /** The port of the proxy's Listener `main`. */
  readonly port: number;
}

/** `config` gets the upstream's port and returns the proxy's YAML, which must have a Listener `main`. */
export async function startProxyInFrontOfUpstream(t: TestContext, config: (upstreamPort: number) => string): Promise<ProxyInFront> {
  const upstream = await startUpstream();
  const proxy = await startProxyProcess(config(upstream.port), ['--workers', '1', '--admin-listen', 'off']);
  t.after(async () => {
    await proxy.stop();
    await upstream.close();
  });
  return { proxy, port: proxy.ports.get('main')! };
}
