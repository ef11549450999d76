// The command line of `sluice proxy`: every flag, its default and its check, in one place (listed in
// docs/reference.md, "Command-line flags"). Parsed once into a frozen ProxyOptions; mistakes are UsageErrors (exit 2).
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import { DEFAULT_TICKET_KEY_ROTATION_S } from '../tls/ticket-keys.js';
import { DEFAULT_TRAFFIC_INTERVAL_MS, MIN_TRAFFIC_INTERVAL_MS } from '../../../proto/src/wire/traffic-limits.js';

/** --drain-timeout-ms: shorter than Kubernetes' 30 s grace period (docs/data-plane.md, "Lifecycle"). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 15_000;

/** The exit code after SIGINT: 128 + the signal's number, as shells report it. */
export const SIGINT_EXIT_CODE = 130;

export const PROXY_USAGE = `usage: sluice proxy --config FILE.yaml [options]
       sluice proxy --control-plane HOST:PORT[,HOST:PORT...] --node-id ID --service NAME --token-file FILE [options]

Configuration (one of):
  --config FILE.yaml            static configuration, no control plane
  --control-plane HOST:PORT,... discovery (gRPC) addresses of the control-plane replicas; the proxy
                                uses one at a time and moves to the next with backoff when it fails
With --control-plane:
  --node-id ID                  this proxy's name in GET /v1/rollout (default: hostname-pid)
  --service NAME                the service this proxy runs beside (default: empty)
  --zone ZONE                   this proxy's zone (default: empty)
  --namespace NAME              this proxy's namespace: AuthorizationPolicy and Listener selectors pick
                                proxies by --service and --namespace (default: POD_NAMESPACE, else empty)
  --token-file FILE             the control plane's token (else SLUICE_TOKEN)
  --bootstrap-token-file FILE   a bootstrap token (sluice ctl token create): the proxy obtains a
                                workload certificate for the token's identity and renews it at
                                half-life (else SLUICE_BOOTSTRAP_TOKEN; neither: no certificate)
  --control-plane-ca FILE       the control plane serves discovery over TLS (--discovery-tls): verify
                                it with this trust bundle (PEM: sluice ctl ca roots, GET /v1/trust-bundle)
  --state-dir DIR               keeps the last good configuration in DIR/last-good.json, so a restart
                                while the control plane is unreachable starts with it
                                (default: ${join(tmpdir(), 'sluice-proxy-<node-id>')})
  --initial-fetch-timeout-ms N  ready with what it has (maybe nothing) when the control plane sent
                                nothing for N ms, as Envoy's initial_fetch_timeout (default 5000)
  --traffic-interval-ms N       sends the control plane a summary of the traffic served (requests by
                                route, cluster and status class, latency buckets) every N ms, for
                                GET /v1/traffic (default ${DEFAULT_TRAFFIC_INTERVAL_MS}; at least ${MIN_TRAFFIC_INTERVAL_MS}; 0: none)
Serving:
  --admin-listen HOST:PORT      /live, /ready, /metrics, /config_dump, /debug/* (default 127.0.0.1:15000;
                                off: none)
  --admin-token-file FILE       turns on /debug/profile and /debug/heap on the admin port, for requests
                                with Authorization: Bearer <the file's token>; read again at each
                                request (else SLUICE_ADMIN_TOKEN; neither: /debug/* answers 403)
  --admin-advertise HOST:PORT   the admin address this proxy tells the control plane, where
                                \`sluice ctl proxy-config\` reads its configuration (default: the
                                --admin-listen address, unless its host is 0.0.0.0 or :: or its port
                                0; off: none)
  --workers N                   worker processes serving traffic (default: the number of cores)
  --drain-timeout-ms N          on SIGTERM (and for workers a reload retires), how long open
                                connections may finish before they are closed (default ${DEFAULT_DRAIN_TIMEOUT_MS}; 0:
                                close at once). SIGINT closes at once
  --tls-ticket-key-rotation-s N how often the TLS session ticket key of the HTTPS listeners is
                                replaced (default ${DEFAULT_TICKET_KEY_ROTATION_S}); a ticket sealed with the previous key
                                gets a full handshake
  --access-log FILE|stdout|off  one JSON line per request, appended to FILE or written to stdout
                                (default: off)
  --access-log-sample-rate R    the share of requests logged, 0..1 (default 1: every request)
Sidecar listeners (added to whatever the configuration holds):
  --outbound-listen HOST:PORT   the application's outbound traffic, routed by the configuration
  --inbound-listen HOST:PORT    inbound traffic, forwarded to the application on --app-port
  --app-port PORT               the application's port on 127.0.0.1; with --service it registers the
                                sidecar's endpoint (the --inbound-listen port when given, else this one)
  --app-protocol http1|h2c|tcp  how the inbound listener speaks to the application (default http1;
                                h2c: HTTP/2 with prior knowledge, for gRPC applications; tcp: a
                                TCP listener piping bytes, for databases and brokers)
  --register-address HOST       the address registered for --service (default: POD_IP, else 127.0.0.1)
  -h, --help                    this text`;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ProxyOptions {
  readonly config?: string;
  readonly controlPlane?: readonly string[];
  readonly nodeId: string;
  readonly service: string;
  readonly zone: string;
  /** With `service`, what AuthorizationPolicy selectors match (docs/security.md). */
  readonly namespace: string;
  readonly tokenFile?: string;
  /** --bootstrap-token-file; SLUICE_BOOTSTRAP_TOKEN is read at start (start-proxy.ts). */
  readonly bootstrapTokenFile?: string;
  /** --control-plane-ca: TLS to the control plane, verified with this trust bundle. */
  readonly controlPlaneCa?: string;
  readonly stateDir: string;
  readonly initialFetchTimeoutMs: number;
  /** --traffic-interval-ms: how often a traffic summary goes to the control plane; 0: never. */
  readonly trafficIntervalMs: number;
  readonly admin?: HostPort;
  /** --admin-token-file; SLUICE_ADMIN_TOKEN is read at start (start-proxy.ts). Guards /debug/*. */
  readonly adminTokenFile?: string;
  /** --admin-advertise: HOST:PORT sent to the control plane in Node.admin_address; '' for none. */
  readonly adminAdvertise: string;
  readonly workers: number;
  /** SIGTERM and reload: how long connections may finish (drain-server.ts). */
  readonly drainTimeoutMs: number;
  /** How often the primary replaces the TLS session ticket keys (ticket-keys.ts). */
  readonly tlsTicketKeyRotationS: number;
  readonly outboundListen?: HostPort;
  readonly inboundListen?: HostPort;
  readonly appPort?: number;
  /** How the inbound listener forwards to the application: HTTP/1.1, or h2c for gRPC. */
  readonly appProtocol: 'http1' | 'h2c' | 'tcp';
  /** The address this sidecar registers for its service (with --service and --app-port). */
  readonly registerAddress: string;
  /** A file path or 'stdout'; undefined: no access log. */
  readonly accessLog?: string;
  readonly accessLogSampleRate: number;
}

export function parseProxyArgs(argv: readonly string[]): ProxyOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        'control-plane': { type: 'string' },
        'node-id': { type: 'string' },
        service: { type: 'string' },
        zone: { type: 'string' },
        namespace: { type: 'string' },
        'token-file': { type: 'string' },
        'bootstrap-token-file': { type: 'string' },
        'control-plane-ca': { type: 'string' },
        'state-dir': { type: 'string' },
        'initial-fetch-timeout-ms': { type: 'string' },
        'traffic-interval-ms': { type: 'string' },
        'admin-listen': { type: 'string', default: '127.0.0.1:15000' },
        'admin-advertise': { type: 'string' },
        'admin-token-file': { type: 'string' },
        workers: { type: 'string' },
        'drain-timeout-ms': { type: 'string', default: String(DEFAULT_DRAIN_TIMEOUT_MS) },
        'tls-ticket-key-rotation-s': { type: 'string', default: String(DEFAULT_TICKET_KEY_ROTATION_S) },
        'outbound-listen': { type: 'string' },
        'inbound-listen': { type: 'string' },
        'app-port': { type: 'string' },
        'app-protocol': { type: 'string' },
        'register-address': { type: 'string' },
        'access-log': { type: 'string', default: 'off' },
        'access-log-sample-rate': { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${PROXY_USAGE}`);
  }
  if (values.help) return 'help';
  if (values.config === undefined && values['control-plane'] === undefined) throw new UsageError(`--config or --control-plane is required\n${PROXY_USAGE}`);
  if (values.config !== undefined && values['control-plane'] !== undefined) throw new UsageError('--config and --control-plane exclude each other');
  const nodeId = values['node-id'] ?? `${hostname()}-${process.pid}`;
  const admin = values['admin-listen'];
  const options: ProxyOptions = {
    config: values.config,
    controlPlane: values['control-plane']?.split(',').map((a) => a.trim()).filter(Boolean),
    nodeId,
    service: values.service ?? '',
    zone: values.zone ?? '',
    namespace: namespace(values.namespace),
    tokenFile: values['token-file'],
    bootstrapTokenFile: values['bootstrap-token-file'],
    controlPlaneCa: values['control-plane-ca'],
    stateDir: values['state-dir'] ?? join(tmpdir(), `sluice-proxy-${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}`),
    initialFetchTimeoutMs: values['initial-fetch-timeout-ms'] === undefined ? 5000 : positiveInt(values['initial-fetch-timeout-ms'], '--initial-fetch-timeout-ms'),
    trafficIntervalMs: trafficInterval(values['traffic-interval-ms']),
    admin: admin === '' || admin === 'off' ? undefined : hostPort(admin, '--admin-listen'),
    adminTokenFile: values['admin-token-file'],
    adminAdvertise: adminAdvertise(values['admin-advertise'], admin === '' || admin === 'off' ? undefined : hostPort(admin, '--admin-listen')),
    workers: values.workers === undefined ? availableParallelism() : positiveInt(values.workers, '--workers'),
    drainTimeoutMs: values['drain-timeout-ms'] === '0' ? 0 : positiveInt(values['drain-timeout-ms'], '--drain-timeout-ms'),
    tlsTicketKeyRotationS: positiveInt(values['tls-ticket-key-rotation-s'], '--tls-ticket-key-rotation-s'),
    outboundListen: values['outbound-listen'] === undefined ? undefined : hostPort(values['outbound-listen'], '--outbound-listen'),
    inboundListen: values['inbound-listen'] === undefined ? undefined : hostPort(values['inbound-listen'], '--inbound-listen'),
    appPort: values['app-port'] === undefined ? undefined : positiveInt(values['app-port'], '--app-port'),
    appProtocol: appProtocol(values['app-protocol']),
    registerAddress: registerAddress(values['register-address']),
    accessLog: values['access-log'] === 'off' || values['access-log'] === '' ? undefined : values['access-log'],
    accessLogSampleRate: fraction(values['access-log-sample-rate'], '--access-log-sample-rate'),
  };
  if (options.controlPlaneCa !== undefined && options.controlPlane === undefined) throw new UsageError('--control-plane-ca needs --control-plane');
  if (options.bootstrapTokenFile !== undefined && options.controlPlane === undefined) throw new UsageError('--bootstrap-token-file needs --control-plane: the certificate comes from the control plane');
  if (options.controlPlane?.length === 0) throw new UsageError('--control-plane needs at least one HOST:PORT');
  // --app-port alone registers the endpoint without an inbound listener.
  if (options.inboundListen !== undefined && options.appPort === undefined) throw new UsageError('--inbound-listen and --app-port go together (--app-port alone only registers the endpoint)');
  return Object.freeze(options);
}

/** A Kubernetes namespace is a DNS label (RFC 1123). */
function namespace(flag: string | undefined): string {
  const value = (flag ?? process.env['POD_NAMESPACE'] ?? '').trim();
  if (value !== '' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) throw new UsageError(`--namespace must be a namespace (lowercase letters, digits and '-', at most 63 characters), got "${value}"`);
  return value;
}

function registerAddress(flag: string | undefined): string {
  const value = (flag ?? process.env['POD_IP'] ?? '').trim() || '127.0.0.1';
  if (/[\s/]/.test(value)) throw new UsageError(`--register-address must be a host name or IP address, got "${value}"`);
  return value.replace(/^\[(.*)\]$/, '$1');
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function trafficInterval(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TRAFFIC_INTERVAL_MS;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || (n !== 0 && n < MIN_TRAFFIC_INTERVAL_MS)) throw new UsageError(`--traffic-interval-ms must be 0 (off) or an integer of at least ${MIN_TRAFFIC_INTERVAL_MS}, got "${value}"`);
  return n;
}

function fraction(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new UsageError(`${flag} must be a number from 0 to 1, got "${value}"`);
  return n;
}

function hostPort(value: string, flag: string): HostPort {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || value.slice(colon + 1) === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be HOST:PORT, got "${value}"`);
  return { host: value.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * What the proxy advertises as its admin address: the flag, else the listen address when another
 * machine could use it as it is (not a wildcard host, not port 0, which is resolved only later).
 */
function adminAdvertise(flag: string | undefined, listen: HostPort | undefined): string {
  if (flag === 'off' || flag === '') return '';
  if (flag !== undefined) {
    const { host, port } = hostPort(flag, '--admin-advertise');
    if (host === '' || port === 0) throw new UsageError(`--admin-advertise must be HOST:PORT with a host and a port, got "${flag}"`);
    return formatHostPort(host, port);
  }
  if (listen === undefined || listen.port === 0 || ['0.0.0.0', '::', ''].includes(listen.host)) return '';
  return formatHostPort(listen.host, listen.port);
}

function appProtocol(value: string | undefined): 'http1' | 'h2c' | 'tcp' {
  if (value === undefined || value === 'http1' || value === 'h2c' || value === 'tcp') return value ?? 'http1';
  throw new UsageError(`--app-protocol must be http1, h2c or tcp, got "${value}"`);
}
