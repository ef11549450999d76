// The proxy of `sluice start`: in this process, following the control plane's discovery address with
// the same token, so it dies with it. Before it starts, the `ping` route and the `public` listener of
// examples/mesh.yaml go in through the admin API (the same documents, so applying mesh.yaml later
// changes nothing), and start-up waits until /ping answers through the proxy: the printed curl works.
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProxyArgs } from '../data-plane/src/cli/proxy-options.js';
import { startProxy, type RunningProxy } from '../data-plane/src/cli/start-proxy.js';
import type { ListenAddress } from '../control-plane/src/api/api-server.js';
import { formatListenAddress } from '../control-plane/src/cli/listen-address.js';

export const LOCAL_PROXY_NODE_ID = 'sluice-start';
/** The local proxy's service, and so its identity: spiffe://<trust domain>/svc/local. */
const LOCAL_SERVICE = 'local';
const READY_TIMEOUT_MS = 15_000;

export interface LocalProxy {
  /** `http://127.0.0.1:18080`: where to send traffic. */
  readonly trafficUrl: string;
  /** The proxy's admin (/ready, /metrics, /config_dump). */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

export interface LocalProxyOptions {
  readonly apiUrl: string;
  readonly discoveryAddress: string;
  readonly token: string;
  /** The `public` listener's address. */
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
}

/** The `ping` route and the `public` listener of examples/mesh.yaml (the listener's address from --proxy-listen). */
function pingDocuments(listen: ListenAddress): string {
  return `kind: Route
name: ping
hosts: ["*"]
match:
  pathExact: /ping
  methods: [GET, HEAD]
respond:
  status: 200
  body: pong
---
kind: Listener
name: public
address: ${listen.host}
port: ${listen.port}
protocol: HTTP
`;
}

export async function startLocalProxy(options: LocalProxyOptions): Promise<LocalProxy> {
  const applied = await fetch(`${options.apiUrl}/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/yaml' },
    body: pingDocuments(options.listen),
  });
  if (!applied.ok) throw new Error(`cannot apply the ping route and listener: ${applied.status} ${await applied.text()}`);

  // A bootstrap token for the proxy's own service: it gets a workload certificate (GET /certs).
  const created = await fetch(`${options.apiUrl}/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ service: LOCAL_SERVICE }),
  });
  if (!created.ok) throw new Error(`cannot create the local proxy's bootstrap token: ${created.status} ${await created.text()}`);
  const bootstrapToken = ((await created.json()) as { token: string }).token;

  const stateDir = await mkdtemp(join(tmpdir(), 'sluice-start-proxy-'));
  const proxyOptions = parseProxyArgs([
    '--control-plane', options.discoveryAddress,
    '--node-id', LOCAL_PROXY_NODE_ID,
    '--service', LOCAL_SERVICE,
    '--workers', '1',
    '--admin-listen', formatListenAddress(options.adminListen),
    '--state-dir', stateDir,
  ]);
  if (proxyOptions === 'help') throw new Error('unreachable: no --help here');
  let proxy: RunningProxy;
  try {
    // The proxy's start-up lines are logs here: stdout is for the banner.
    // --proxy-listen's listener arrives through discovery: if it cannot bind, the process stops.
    proxy = await startProxy(proxyOptions, {
      token: options.token,
      bootstrapToken,
      print: (line) => console.error(line),
      adminFlag: '--proxy-admin-listen',
      startListeners: new Map([['public', '--proxy-listen']]),
    });
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (): Promise<void> => {
    await proxy.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  const host = options.listen.host === '0.0.0.0' || options.listen.host === '::' ? '127.0.0.1' : options.listen.host;
  const trafficUrl = `http://${formatListenAddress({ host, port: options.listen.port })}`;
  try {
    await untilPong(`${trafficUrl}/ping`);
  } catch (err) {
    await stop();
    throw err;
  }
  const admin = proxy.adminAddress;
  return { trafficUrl, adminUrl: admin === undefined ? '' : `http://${formatListenAddress({ host: admin.address, port: admin.port })}`, stop };
}

async function untilPong(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const answer = await getOnce(url);
    if (answer === 'pong') return;
    last = answer;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the local proxy did not answer ${url} with pong within ${READY_TIMEOUT_MS} ms (last: ${last})`);
}

/** One GET without keep-alive (an idle pooled connection would hold the proxy's drain at stop). */
function getOnce(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : `${res.statusCode} ${body.slice(0, 80)}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(err.message));
  });
}
