// `sluice start` (`npm start`): a whole mesh on one machine: the control plane on the embedded store
// with a fresh token, and how to add a route.
import { fileURLToPath } from 'node:url';
import { ControlPlane } from '../control-plane.js';
import { createLogger } from '../logger.js';
import { CONTROL_PLANE_DEFAULTS, parseControlPlaneArgs } from './control-plane-options.js';
import { formatListenAddress } from './listen-address.js';
import { stopOnSignals } from './stop-on-signals.js';
import { generateToken } from './token-source.js';

export const START_USAGE = `usage: sluice start [--api-listen HOST:PORT] [--discovery-listen HOST:PORT] [--token-file FILE]
                    [--max-body-bytes N] [--log-level LEVEL]

Runs a whole mesh on one machine on the embedded store (nothing is kept after exit). The token is
--token-file's, else SLUICE_TOKEN, else a new random one. Logs go to stderr (default level warn).
Defaults: --api-listen ${CONTROL_PLANE_DEFAULTS.apiListen}, --discovery-listen ${CONTROL_PLANE_DEFAULTS.discoveryListen}.`;

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
  const withLevel = argv.some((a) => a === '--log-level' || a.startsWith('--log-level=')) ? argv : [...argv, '--log-level', 'warn'];
  const options = parseControlPlaneArgs(withLevel, env, false);
  if (options === 'help') {
    console.log(START_USAGE);
    return;
  }
  const token = options.token ?? generateToken();
  // stdout is for the banner; logs go to stderr.
  const log = createLogger({ level: options.logLevel, destination: process.stderr, name: 'sluice-start' });
  const controlPlane = new ControlPlane({
    apiListen: options.apiListen,
    discoveryListen: options.discoveryListen,
    token,
    maxBodyBytes: options.maxBodyBytes,
    log,
  });
  stopOnSignals(() => controlPlane.stop(), log);
  await controlPlane.start();
  // The local proxy starts here once `sluice proxy --control-plane` (the discovery client) is wired:
  // it connects to the discovery address with the same token, and the banner then says where to send
  // traffic.
  // With port 0 the OS picked the discovery port; only the configured address is known here.
  const discovery = options.discoveryListen.port === 0 ? undefined : formatListenAddress(options.discoveryListen);
  console.log(banner(controlPlane.apiUrl, discovery, token));
}

function banner(apiUrl: string, discovery: string | undefined, token: string): string {
  const ctl = `node ${fileURLToPath(new URL('./sluice.js', import.meta.url))} ctl`;
  return `Sluice is running on this machine, on the embedded store (nothing is kept after exit).

  admin API  ${apiUrl}${discovery === undefined ? '' : `\n  discovery  ${discovery} (gRPC, for proxies; same token)`}
  token      ${token}

Add a cluster and a route (paste into another shell):

export SLUICE_SERVER=${apiUrl} SLUICE_TOKEN=${token}
${ctl} apply -f - <<'EOF'
${EXAMPLE}
EOF
${ctl} get routes

Or call the API: curl -H "Authorization: Bearer ${token}" ${apiUrl}/v1/routes
Stop with Ctrl-C.`;
}
