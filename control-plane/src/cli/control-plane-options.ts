// The bootstrap options of `sluice control-plane` and `sluice start`: defaults in one object, parsed
// and validated once, then frozen.
import { parseArgs } from 'node:util';
import type { ListenAddress } from '../api/api-server.js';
import type { LogLevel } from '../logger.js';
import { parseListenAddress } from './listen-address.js';
import { DEFAULT_TRUST_DOMAIN, trustDomainProblem } from '../../../proto/src/identity/spiffe-id.js';
import { DEFAULT_WORKLOAD_CERT_TTL_SECONDS } from '../identity/mesh-ca.js';
import type { PluginCaFiles } from '../identity/plugin-authority.js';
import { readFileSync } from 'node:fs';
import { configuredToken } from '../../../proto/src/command-line/token-source.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

export const CONTROL_PLANE_DEFAULTS = Object.freeze({
  apiListen: '127.0.0.1:15080',
  discoveryListen: '127.0.0.1:15010',
  maxBodyBytes: 4 * 1024 * 1024,
  leaseTtlSeconds: 10,
  leaderLeaseTtlSeconds: 5,
  logLevel: 'info' as LogLevel,
  trustDomain: DEFAULT_TRUST_DOMAIN,
  workloadCertTtlSeconds: DEFAULT_WORKLOAD_CERT_TTL_SECONDS,
});

export const CONTROL_PLANE_USAGE = `usage: sluice control-plane [--etcd URL[,URL...]] [--api-listen HOST:PORT] [--discovery-listen HOST:PORT]
                            [--token-file FILE] [--max-body-bytes N] [--lease-ttl-seconds N] [--leader-lease-ttl-seconds N]
                            [--log-level LEVEL] [--trust-domain DOMAIN] [--workload-cert-ttl-seconds N]
                            [--ca-cert FILE --ca-key FILE [--ca-chain FILE]] [--discovery-tls]

Runs the control plane: the admin REST API (and /metrics) and the discovery gRPC server for proxies.

  --etcd URL[,URL...]         etcd client URLs (http://127.0.0.1:2379). Without it the control plane
                              runs on the embedded store: one process, nothing kept after exit.
  --api-listen HOST:PORT      admin REST API (default ${CONTROL_PLANE_DEFAULTS.apiListen})
  --discovery-listen HOST:PORT  discovery gRPC for proxies (default ${CONTROL_PLANE_DEFAULTS.discoveryListen})
  --token-file FILE           the bearer token for the API and discovery (else SLUICE_TOKEN)
  --max-body-bytes N          larger request bodies answer 413 (default ${CONTROL_PLANE_DEFAULTS.maxBodyBytes})
  --lease-ttl-seconds N       TTL of the etcd leases under this replica's health entries and its
                              proxies' self-registrations (default ${CONTROL_PLANE_DEFAULTS.leaseTtlSeconds})
  --leader-lease-ttl-seconds N  TTL of the lease of the replica elected to run the control plane's own
                              health checks: a replica that dies is replaced within it (default ${CONTROL_PLANE_DEFAULTS.leaderLeaseTtlSeconds})
  --trust-domain DOMAIN       the SPIFFE trust domain of workload identities (default ${CONTROL_PLANE_DEFAULTS.trustDomain})
  --workload-cert-ttl-seconds N  lifetime of the workload certificates the mesh CA signs; proxies
                              renew at half of it (default ${CONTROL_PLANE_DEFAULTS.workloadCertTtlSeconds}: 24 h)
  --ca-cert FILE              sign with this CA certificate (the operator's intermediate) instead of
                              a root the control plane creates and keeps in the store; with --ca-key
  --ca-key FILE               the private key of --ca-cert (PEM); read from disk, never stored
  --ca-chain FILE             the certificates above --ca-cert up to and including the root (PEM)
  --discovery-tls             serve the discovery port over TLS with a certificate from the mesh CA
                              (spiffe://<trust domain>/control-plane, renewed at half-life); proxies
                              then need --control-plane-ca with the trust bundle
  --log-level LEVEL           fatal, error, warn, info, debug, trace or silent (default ${CONTROL_PLANE_DEFAULTS.logLevel})
  -h, --help                  this text`;

export interface ControlPlaneCliOptions {
  /** Empty: the embedded store. */
  readonly etcdEndpoints: readonly string[];
  readonly apiListen: ListenAddress;
  readonly discoveryListen: ListenAddress;
  /** From --token-file or SLUICE_TOKEN; undefined when neither is set. */
  readonly token: string | undefined;
  readonly maxBodyBytes: number;
  readonly leaseTtlSeconds: number;
  readonly leaderLeaseTtlSeconds: number;
  readonly logLevel: LogLevel;
  readonly trustDomain: string;
  readonly workloadCertTtlSeconds: number;
  /** --ca-cert, --ca-key, --ca-chain, read; undefined: the root kept in the store. */
  readonly pluginCa?: PluginCaFiles;
  /** --discovery-tls. */
  readonly discoveryTls: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses the flags; `help` when -h/--help was given. Throws UsageError on anything invalid. */
export function parseControlPlaneArgs(argv: readonly string[], env: NodeJS.ProcessEnv, allowEtcd = true): Readonly<ControlPlaneCliOptions> | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        etcd: { type: 'string' },
        'api-listen': { type: 'string', default: CONTROL_PLANE_DEFAULTS.apiListen },
        'discovery-listen': { type: 'string', default: CONTROL_PLANE_DEFAULTS.discoveryListen },
        'token-file': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'lease-ttl-seconds': { type: 'string' },
        'leader-lease-ttl-seconds': { type: 'string' },
        'log-level': { type: 'string', default: CONTROL_PLANE_DEFAULTS.logLevel },
        'trust-domain': { type: 'string', default: CONTROL_PLANE_DEFAULTS.trustDomain },
        'workload-cert-ttl-seconds': { type: 'string' },
        'ca-cert': { type: 'string' },
        'ca-key': { type: 'string' },
        'ca-chain': { type: 'string' },
        'discovery-tls': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';
  if (!allowEtcd && values.etcd !== undefined) throw new UsageError('--etcd is not an option here: this command runs on the embedded store');
  if (!allowEtcd && values['discovery-tls'] === true) throw new UsageError('--discovery-tls is not an option here: the local proxy follows the discovery port in plaintext');
  const logLevel = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const trustDomain = values['trust-domain'];
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem !== undefined) throw new UsageError(`--trust-domain ${JSON.stringify(trustDomain)} ${tdProblem}`);
  const pluginCa = pluginCaFiles(values['ca-cert'], values['ca-key'], values['ca-chain']);
  return Object.freeze({
    etcdEndpoints: Object.freeze(values.etcd === undefined ? [] : parseEtcdEndpoints(values.etcd)),
    apiListen: parseListenAddress(values['api-listen'], '--api-listen'),
    discoveryListen: parseListenAddress(values['discovery-listen'], '--discovery-listen'),
    token: configuredToken(values['token-file'], env),
    maxBodyBytes: values['max-body-bytes'] === undefined ? CONTROL_PLANE_DEFAULTS.maxBodyBytes : positiveInteger(values['max-body-bytes'], '--max-body-bytes'),
    leaseTtlSeconds: values['lease-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.leaseTtlSeconds : positiveInteger(values['lease-ttl-seconds'], '--lease-ttl-seconds'),
    leaderLeaseTtlSeconds: values['leader-lease-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.leaderLeaseTtlSeconds : positiveInteger(values['leader-lease-ttl-seconds'], '--leader-lease-ttl-seconds'),
    logLevel,
    trustDomain,
    workloadCertTtlSeconds: values['workload-cert-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.workloadCertTtlSeconds : positiveInteger(values['workload-cert-ttl-seconds'], '--workload-cert-ttl-seconds'),
    ...(pluginCa === undefined ? {} : { pluginCa }),
    discoveryTls: values['discovery-tls'] === true,
  });
}

/** The plug-in CA's files, read now so a missing file is a usage error; their content is checked at start. */
function pluginCaFiles(cert: string | undefined, key: string | undefined, chain: string | undefined): PluginCaFiles | undefined {
  if (cert === undefined && key === undefined && chain === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError('--ca-cert and --ca-key go together (and --ca-chain needs them)');
  const read = (path: string, flag: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return Object.freeze({ certPem: read(cert, '--ca-cert'), keyPem: read(key, '--ca-key'), ...(chain === undefined ? {} : { chainPem: read(chain, '--ca-chain') }) });
}

function parseEtcdEndpoints(value: string): string[] {
  const endpoints = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (endpoints.length === 0) throw new UsageError('--etcd needs at least one URL');
  for (const e of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      url = undefined;
    }
    if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.port === '' && !/:\d+$/.test(url.host)) {
      throw new UsageError(`--etcd: ${JSON.stringify(e)} is not an etcd client URL like http://127.0.0.1:2379`);
    }
  }
  return endpoints;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
