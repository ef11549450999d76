// `sluice start` (`npm start`): a whole mesh on one machine: the control plane on the embedded store
// with a fresh token, one proxy following it (start-local-proxy.ts), the dashboard's address, where to
// send traffic and how to add a route. The token is printed apart, never in a URL.
import { fileURLToPath } from 'node:url';
import type { ListenAddress } from '../control-plane/src/api/api-server.js';
import { createLogger } from '../control-plane/src/logger.js';
import { buildControlPlane } from '../control-plane/src/cli/build-control-plane.js';
import { CONTROL_PLANE_DEFAULTS, parseControlPlaneArgs } from '../control-plane/src/cli/control-plane-options.js';
import { parseListenAddress } from '../control-plane/src/cli/listen-address.js';
import { startLocalProxy, type LocalProxy } from './start-local-proxy.js';
import { stopOnSignals } from '../control-plane/src/cli/stop-on-signals.js';
import { generateToken } from '../proto/src/command-line/token-source.js';
import { UsageError } from '../proto/src/command-line/usage-error.js';

const PROXY_DEFAULTS = Object.freeze({ proxyListen: '127.0.0.1:18080', proxyAdminListen: '127.0.0.1:15000' });

export const START_USAGE = `usage: sluice start [--api-listen HOST:PORT] [--discovery-listen HOST:PORT] [--token-file FILE]
                    [--proxy-listen HOST:PORT] [--proxy-admin-listen HOST:PORT]
                    [--max-body-bytes N] [--store-max-txn-ops N] [--store-max-request-bytes N] [--log-level LEVEL]

Runs a whole mesh on one machine on the embedded store (nothing is kept after exit): the control
plane and one proxy in this process, following it. The proxy's \`public\` listener (--proxy-listen) and
the \`ping\` route of examples/mesh.yaml are applied at start, so /ping answers \`pong\` at once. The
token is --token-file's, else SLUICE_TOKEN, else a new random one. Logs go to stderr (default level
warn). Defaults: --api-listen ${CONTROL_PLANE_DEFAULTS.apiListen}, --discovery-listen ${CONTROL_PLANE_DEFAULTS.discoveryListen},
--proxy-listen ${PROXY_DEFAULTS.proxyListen}, --proxy-admin-listen ${PROXY_DEFAULTS.proxyAdminListen}.`;

/** A first cluster and route, applied through `sluice ctl` from a here-document. */
const EXAMPLE = `kind: Cluster
name: hello
endpoints:
  - address: 127.0.0.1
    port: 19081
---
kind: Route
name: hello
hosts: ["hello.local"]
match:
  pathPrefix: /
forward:
  cluster: hello`;

export async function runStartCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { rest, proxyListen, proxyAdminListen } = takeProxyFlags(argv);
  const withLevel = rest.some((a) => a === '--log-level' || a.startsWith('--log-level=')) ? rest : [...rest, '--log-level', 'warn'];
  const options = parseControlPlaneArgs(withLevel, env, false);
  if (options === 'help') {
    console.log(START_USAGE);
    return;
  }
  const token = options.token ?? generateToken();
  // stdout is for the banner; logs go to stderr.
  const log = createLogger({ level: options.logLevel, destination: process.stderr, name: 'sluice-start' });
  const controlPlane = buildControlPlane(options, token, log);
  let proxy: LocalProxy | undefined;
  stopOnSignals(async () => {
    await proxy?.stop();
    await controlPlane.stop();
  }, log);
  await controlPlane.start();
  const discoveryAddress = controlPlane.discovery!.address;
  try {
    proxy = await startLocalProxy({ apiUrl: controlPlane.apiUrl, discoveryAddress, token, listen: proxyListen, adminListen: proxyAdminListen });
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }
  console.log(banner(controlPlane.apiUrl, discoveryAddress, token, proxy));
}

/** Takes the proxy's flags out of argv; the rest are the control plane's. */
function takeProxyFlags(argv: readonly string[]): { rest: string[]; proxyListen: ListenAddress; proxyAdminListen: ListenAddress } {
  const rest: string[] = [];
  const found: Record<string, string> = { '--proxy-listen': PROXY_DEFAULTS.proxyListen, '--proxy-admin-listen': PROXY_DEFAULTS.proxyAdminListen };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(flag in found)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs HOST:PORT`);
    found[flag] = value;
  }
  return { rest, proxyListen: parseListenAddress(found['--proxy-listen']!, '--proxy-listen'), proxyAdminListen: parseListenAddress(found['--proxy-admin-listen']!, '--proxy-admin-listen') };
}

function banner(apiUrl: string, discovery: string, token: string, proxy: LocalProxy): string {
  const ctl = `node ${fileURLToPath(new URL('./sluice.js', import.meta.url))} ctl`;
  return `Sluice is running on this machine, on the embedded store (nothing is kept after exit).

  dashboard  ${apiUrl}/ui (sign in with the token below)
  admin API  ${apiUrl}
  discovery  ${discovery} (gRPC, for proxies; same token)
  proxy      ${proxy.trafficUrl} (listener "public"), admin ${proxy.adminUrl} (/ready, /metrics, /config_dump, /certs)
  token      ${token}

Send traffic through the proxy (the ping route answers already):

curl ${proxy.trafficUrl}/ping

Add a cluster and a route (paste into another shell):

export SLUICE_SERVER=${apiUrl} SLUICE_TOKEN=${token}
${ctl} apply -f - <<'EOF'
${EXAMPLE}
EOF
${ctl} get routes
curl -H 'Host: hello.local' ${proxy.trafficUrl}/   # to the hello cluster: run a server on 127.0.0.1:19081 (python3 -m http.server 19081)

Or call the API: curl -H "Authorization: Bearer ${token}" ${apiUrl}/v1/routes
Stop with Ctrl-C.`;
}
