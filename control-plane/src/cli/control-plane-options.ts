// The bootstrap options of `sluice control-plane` and `sluice start`: defaults in one object, parsed
// and validated once, then frozen.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ListenAddress } from '../api/api-server.js';
import type { LogLevel } from '../logger.js';
import { parseListenAddress } from './listen-address.js';
import type { EtcdCredentials } from '../store/etcd-client.js';
import type { EncryptionKey } from '../identity/aes-gcm-sealer.js';
import { readEncryptionKeyFile } from '../identity/encryption-key-file.js';
import { readTokensFile } from './tokens-file.js';
import type { ApiTokenEntry } from '../api/api-tokens.js';
import { DEFAULT_TRUST_DOMAIN, trustDomainProblem } from '../../../proto/src/identity/spiffe-id.js';
import { DEFAULT_WORKLOAD_CERT_TTL_SECONDS } from '../identity/mesh-ca.js';
import type { PluginCaFiles } from '../identity/plugin-authority.js';
import { configuredToken } from '../../../proto/src/command-line/token-source.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import { DEFAULT_KUBERNETES_AUDIENCE, DEFAULT_KUBERNETES_ISSUER, type KubernetesTokenOptions } from '../identity/kubernetes-token-authenticator.js';
import { readJwksFile } from '../identity/jwks-file.js';
import { DEFAULT_STORE_LIMITS, type StoreLimits } from '../store/write-checks.js';
import { DEFAULT_SESSION_TTL_SECONDS } from '../ui/ui-sessions.js';
import { DEFAULT_FEED_MAX_SUBSCRIBERS } from '../ui/live-feed.js';

export const CONTROL_PLANE_DEFAULTS = Object.freeze({
  apiListen: '127.0.0.1:15080',
  discoveryListen: '127.0.0.1:15010',
  historyLimit: 1000,
  // Above the store's request limit, so that a body the store can take in one transaction is accepted.
  maxBodyBytes: 16 * 1024 * 1024,
  storeMaxTxnOps: DEFAULT_STORE_LIMITS.maxTxnOps,
  storeMaxRequestBytes: DEFAULT_STORE_LIMITS.maxRequestBytes,
  leaseTtlSeconds: 10,
  leaderLeaseTtlSeconds: 5,
  logLevel: 'info' as LogLevel,
  trustDomain: DEFAULT_TRUST_DOMAIN,
  workloadCertTtlSeconds: DEFAULT_WORKLOAD_CERT_TTL_SECONDS,
  kubernetesIssuer: DEFAULT_KUBERNETES_ISSUER,
  kubernetesAudience: DEFAULT_KUBERNETES_AUDIENCE,
  uiSessionTtlSeconds: DEFAULT_SESSION_TTL_SECONDS,
  uiFeedMaxSubscribers: DEFAULT_FEED_MAX_SUBSCRIBERS,
});

export const CONTROL_PLANE_USAGE = `usage: sluice control-plane [--etcd URL[,URL...]] [--api-listen HOST:PORT] [--discovery-listen HOST:PORT]
                            [--token-file FILE] [--tokens-file FILE] [--max-body-bytes N] [--history-limit N] [--lease-ttl-seconds N] [--leader-lease-ttl-seconds N]
                            [--store-max-txn-ops N] [--store-max-request-bytes N]
                            [--log-level LEVEL] [--encryption-key-file FILE] [--api-tls-cert FILE --api-tls-key FILE]
                            [--etcd-ca FILE] [--etcd-cert FILE --etcd-key FILE] [--etcd-user NAME --etcd-password-file FILE]
                            [--trust-domain DOMAIN] [--workload-cert-ttl-seconds N]
                            [--ca-cert FILE --ca-key FILE [--ca-chain FILE]] [--discovery-tls]
                            [--kubernetes-jwks-file FILE [--kubernetes-issuer ISS] [--kubernetes-audience AUD]]
                            [--ui-session-ttl-seconds N] [--ui-feed-max-subscribers N]

Runs the control plane: the admin REST API (and /metrics) and the discovery gRPC server for proxies.

  --etcd URL[,URL...]         etcd client URLs (http://127.0.0.1:2379). Without it the control plane
                              runs on the embedded store: one process, nothing kept after exit.
  --api-listen HOST:PORT      admin REST API (default ${CONTROL_PLANE_DEFAULTS.apiListen})
  --discovery-listen HOST:PORT  discovery gRPC for proxies (default ${CONTROL_PLANE_DEFAULTS.discoveryListen})
  --token-file FILE           an admin token (named "admin") for the API, also accepted from proxies
                              on the discovery port (else SLUICE_TOKEN)
  --tokens-file FILE          named admin API tokens with roles: one "token,name,role" per line, role
                              viewer, editor or admin; # comments (beside or instead of --token-file)
  --max-body-bytes N          larger request bodies answer 413 (default ${CONTROL_PLANE_DEFAULTS.maxBodyBytes})
  --history-limit N           changes kept in the change history (ctl history, ctl rollback); older
                              ones are pruned (default ${CONTROL_PLANE_DEFAULTS.historyLimit})
  --store-max-txn-ops N       operations etcd takes in one transaction: its --max-txn-ops, which must be
                              the same; an apply of more resources answers 413 (default ${CONTROL_PLANE_DEFAULTS.storeMaxTxnOps},
                              as deploy/ runs etcd; etcd's own default is 128). The embedded store's limit.
  --store-max-request-bytes N  bytes of keys and values one transaction may write: etcd's own
                              limit, its --max-request-bytes, the same (default ${CONTROL_PLANE_DEFAULTS.storeMaxRequestBytes}; etcd's own 1572864)
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
  --kubernetes-jwks-file FILE  the cluster's service-account issuer keys (kubectl get --raw
                              /openid/v1/jwks): proxies may then present their projected
                              service-account token, proving spiffe://<trust domain>/ns/<ns>/sa/<sa>;
                              read again when the file changes
  --kubernetes-issuer ISS     the iss those tokens must have (default ${CONTROL_PLANE_DEFAULTS.kubernetesIssuer})
  --kubernetes-audience AUD   the aud those tokens must have (default ${CONTROL_PLANE_DEFAULTS.kubernetesAudience})
  --ui-session-ttl-seconds N  how long a dashboard sign-in lasts (default ${CONTROL_PLANE_DEFAULTS.uiSessionTtlSeconds}: 12 h)
  --ui-feed-max-subscribers N  dashboard pages the live feed serves at once; more answer 503
                              (default ${CONTROL_PLANE_DEFAULTS.uiFeedMaxSubscribers})
  --log-level LEVEL           fatal, error, warn, info, debug, trace or silent (default ${CONTROL_PLANE_DEFAULTS.logLevel})
  --encryption-key-file FILE  named AES-256 keys that seal private keys in the store: the first seals,
                              every one opens (docs/operations.md). Without it keys are stored in plaintext.
  --api-tls-cert FILE         serve the admin API over HTTPS with this PEM certificate chain
  --api-tls-key FILE          ... and this PEM private key
  --etcd-ca FILE              PEM CA bundle that verifies etcd's certificates (https:// URLs)
  --etcd-cert FILE            PEM client certificate for etcd members run with --client-cert-auth
  --etcd-key FILE             its PEM private key
  --etcd-user NAME            an etcd user (etcd's auth enabled), with --etcd-password-file FILE
  --etcd-password-file FILE   the file holding that user's password
  -h, --help                  this text`;

export interface ControlPlaneCliOptions {
  /** Empty: the embedded store. */
  readonly etcdEndpoints: readonly string[];
  readonly apiListen: ListenAddress;
  readonly discoveryListen: ListenAddress;
  /** From --token-file or SLUICE_TOKEN; undefined when neither is set. */
  readonly token: string | undefined;
  /** From --tokens-file; empty without it. */
  readonly tokens: readonly ApiTokenEntry[];
  readonly maxBodyBytes: number;
  /** --history-limit: change records kept. */
  readonly historyLimit: number;
  /** --store-max-txn-ops and --store-max-request-bytes. */
  readonly storeLimits: StoreLimits;
  readonly leaseTtlSeconds: number;
  readonly leaderLeaseTtlSeconds: number;
  readonly logLevel: LogLevel;
  /** From --encryption-key-file; undefined without it (private keys stored as they are). */
  readonly encryptionKeys: readonly EncryptionKey[] | undefined;
  /** From --etcd-ca, --etcd-cert, --etcd-key, --etcd-user and --etcd-password-file. */
  readonly etcdCredentials: EtcdCredentials | undefined;
  /** From --api-tls-cert and --api-tls-key: the admin API serves HTTPS. */
  readonly apiTls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly trustDomain: string;
  readonly workloadCertTtlSeconds: number;
  /** --ca-cert, --ca-key, --ca-chain, read; undefined: the root kept in the store. */
  readonly pluginCa?: PluginCaFiles;
  /** --discovery-tls. */
  readonly discoveryTls: boolean;
  /** --kubernetes-jwks-file (read), --kubernetes-issuer, --kubernetes-audience; undefined without the file. */
  readonly kubernetes?: KubernetesTokenOptions;
  /** --ui-session-ttl-seconds. */
  readonly uiSessionTtlSeconds: number;
  /** --ui-feed-max-subscribers. */
  readonly uiFeedMaxSubscribers: number;
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
        'tokens-file': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'history-limit': { type: 'string' },
        'store-max-txn-ops': { type: 'string' },
        'store-max-request-bytes': { type: 'string' },
        'lease-ttl-seconds': { type: 'string' },
        'leader-lease-ttl-seconds': { type: 'string' },
        'log-level': { type: 'string', default: CONTROL_PLANE_DEFAULTS.logLevel },
        'encryption-key-file': { type: 'string' },
        'api-tls-cert': { type: 'string' },
        'api-tls-key': { type: 'string' },
        'etcd-ca': { type: 'string' },
        'etcd-cert': { type: 'string' },
        'etcd-key': { type: 'string' },
        'etcd-user': { type: 'string' },
        'etcd-password-file': { type: 'string' },
        'trust-domain': { type: 'string', default: CONTROL_PLANE_DEFAULTS.trustDomain },
        'workload-cert-ttl-seconds': { type: 'string' },
        'ca-cert': { type: 'string' },
        'ca-key': { type: 'string' },
        'ca-chain': { type: 'string' },
        'discovery-tls': { type: 'boolean' },
        'kubernetes-jwks-file': { type: 'string' },
        'kubernetes-issuer': { type: 'string' },
        'kubernetes-audience': { type: 'string' },
        'ui-session-ttl-seconds': { type: 'string' },
        'ui-feed-max-subscribers': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';
  if (!allowEtcd) {
    // The embedded store keeps nothing at rest, and `sluice start` talks to its own API over HTTP.
    const given = ['etcd', 'etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-user', 'etcd-password-file', 'encryption-key-file', 'api-tls-cert', 'api-tls-key'].find((f) => values[f as keyof typeof values] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given} is not an option here: this command runs on the embedded store (nothing kept at rest) and serves plain HTTP`);
  }
  const etcdEndpoints = values.etcd === undefined ? [] : parseEtcdEndpoints(values.etcd);
  const logLevel = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const token = configuredToken(values['token-file'], env);
  const tokens = values['tokens-file'] === undefined ? [] : readTokensFile(values['tokens-file']);
  if (token !== undefined && tokens.some((t) => t.token === token)) {
    throw new UsageError(`--tokens-file lists the token of ${values['token-file'] === undefined ? 'SLUICE_TOKEN' : '--token-file'} again: give each token once`);
  }
  if (!allowEtcd && values['discovery-tls'] === true) throw new UsageError('--discovery-tls is not an option here: the local proxy follows the discovery port in plaintext');
  const trustDomain = values['trust-domain'];
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem !== undefined) throw new UsageError(`--trust-domain ${JSON.stringify(trustDomain)} ${tdProblem}`);
  const pluginCa = pluginCaFiles(values['ca-cert'], values['ca-key'], values['ca-chain']);
  const kubernetes = kubernetesTokens(values['kubernetes-jwks-file'], values['kubernetes-issuer'], values['kubernetes-audience']);
  return Object.freeze({
    etcdEndpoints: Object.freeze(etcdEndpoints),
    apiListen: parseListenAddress(values['api-listen'], '--api-listen'),
    discoveryListen: parseListenAddress(values['discovery-listen'], '--discovery-listen'),
    token,
    tokens: Object.freeze(tokens),
    maxBodyBytes: values['max-body-bytes'] === undefined ? CONTROL_PLANE_DEFAULTS.maxBodyBytes : positiveInteger(values['max-body-bytes'], '--max-body-bytes'),
    historyLimit: values['history-limit'] === undefined ? CONTROL_PLANE_DEFAULTS.historyLimit : positiveInteger(values['history-limit'], '--history-limit'),
    storeLimits: Object.freeze({
      maxTxnOps: values['store-max-txn-ops'] === undefined ? CONTROL_PLANE_DEFAULTS.storeMaxTxnOps : txnOps(values['store-max-txn-ops']),
      maxRequestBytes: values['store-max-request-bytes'] === undefined ? CONTROL_PLANE_DEFAULTS.storeMaxRequestBytes : positiveInteger(values['store-max-request-bytes'], '--store-max-request-bytes'),
    }),
    leaseTtlSeconds: values['lease-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.leaseTtlSeconds : positiveInteger(values['lease-ttl-seconds'], '--lease-ttl-seconds'),
    leaderLeaseTtlSeconds: values['leader-lease-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.leaderLeaseTtlSeconds : positiveInteger(values['leader-lease-ttl-seconds'], '--leader-lease-ttl-seconds'),
    logLevel,
    encryptionKeys: values['encryption-key-file'] === undefined ? undefined : Object.freeze(readEncryptionKeyFile(values['encryption-key-file'])),
    etcdCredentials: parseEtcdCredentials(values, etcdEndpoints),
    apiTls: pair(values['api-tls-cert'], values['api-tls-key'], '--api-tls-cert', '--api-tls-key'),
    trustDomain,
    workloadCertTtlSeconds: values['workload-cert-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.workloadCertTtlSeconds : positiveInteger(values['workload-cert-ttl-seconds'], '--workload-cert-ttl-seconds'),
    ...(pluginCa === undefined ? {} : { pluginCa }),
    discoveryTls: values['discovery-tls'] === true,
    ...(kubernetes === undefined ? {} : { kubernetes }),
    uiSessionTtlSeconds: values['ui-session-ttl-seconds'] === undefined ? CONTROL_PLANE_DEFAULTS.uiSessionTtlSeconds : positiveInteger(values['ui-session-ttl-seconds'], '--ui-session-ttl-seconds'),
    uiFeedMaxSubscribers: values['ui-feed-max-subscribers'] === undefined ? CONTROL_PLANE_DEFAULTS.uiFeedMaxSubscribers : positiveInteger(values['ui-feed-max-subscribers'], '--ui-feed-max-subscribers'),
  });
}

type EtcdFlags = Partial<Record<'etcd-ca' | 'etcd-cert' | 'etcd-key' | 'etcd-user' | 'etcd-password-file', string>>;

function parseEtcdCredentials(values: EtcdFlags, endpoints: readonly string[]): EtcdCredentials | undefined {
  const ca = values['etcd-ca'] === undefined ? undefined : readFlagFile(values['etcd-ca'], '--etcd-ca');
  const client = pair(values['etcd-cert'], values['etcd-key'], '--etcd-cert', '--etcd-key');
  const userName = values['etcd-user'];
  const passwordFile = values['etcd-password-file'];
  if ((userName === undefined) !== (passwordFile === undefined)) throw new UsageError('--etcd-user and --etcd-password-file go together');
  const password = passwordFile === undefined ? undefined : readFlagFile(passwordFile, '--etcd-password-file').toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new UsageError(`--etcd-password-file ${passwordFile}: the file is empty`);
  if (ca === undefined && client === undefined && userName === undefined) return undefined;
  if (endpoints.length === 0) throw new UsageError('--etcd-ca, --etcd-cert, --etcd-key and --etcd-user need --etcd');
  // etcd3 talks TLS to every member or to none: certificates with an http:// URL would not be used.
  const plain = endpoints.find((e) => e.startsWith('http://'));
  if ((ca !== undefined || client !== undefined) && plain !== undefined) throw new UsageError(`--etcd ${plain}: with --etcd-ca or --etcd-cert every etcd URL must be https://`);
  return Object.freeze({
    ...(ca === undefined ? {} : { ca }),
    ...(client === undefined ? {} : { cert: client.cert, key: client.key }),
    ...(userName === undefined ? {} : { user: { name: userName, password: password! } }),
  });
}

/** A certificate and its key: both or neither. */
function pair(certFile: string | undefined, keyFile: string | undefined, certFlag: string, keyFlag: string): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError(`${certFlag} and ${keyFlag} go together`);
  return Object.freeze({ cert: readFlagFile(certFile, certFlag), key: readFlagFile(keyFile, keyFlag) });
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The plug-in CA's files, read now so a missing file is a usage error; their content is checked at start. */
function pluginCaFiles(cert: string | undefined, key: string | undefined, chain: string | undefined): PluginCaFiles | undefined {
  if (cert === undefined && key === undefined && chain === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError('--ca-cert and --ca-key go together (and --ca-chain needs them)');
  const read = (path: string, flag: string): string => readFlagFile(path, flag).toString('utf8');
  return Object.freeze({ certPem: read(cert, '--ca-cert'), keyPem: read(key, '--ca-key'), ...(chain === undefined ? {} : { chainPem: read(chain, '--ca-chain') }) });
}

/** The Kubernetes token flags; the key set is read now, so a missing or broken file stops the start. */
function kubernetesTokens(jwksFile: string | undefined, issuer: string | undefined, audience: string | undefined): KubernetesTokenOptions | undefined {
  if (jwksFile === undefined) {
    if (issuer !== undefined || audience !== undefined) throw new UsageError('--kubernetes-issuer and --kubernetes-audience need --kubernetes-jwks-file');
    return undefined;
  }
  if (issuer === '' || audience === '') throw new UsageError(`--kubernetes-${issuer === '' ? 'issuer' : 'audience'} must not be empty`);
  let jwks;
  try {
    jwks = readJwksFile(jwksFile);
  } catch (err) {
    throw new UsageError(`--kubernetes-jwks-file: ${(err as Error).message}`);
  }
  return Object.freeze({ jwksFile, issuer: issuer ?? CONTROL_PLANE_DEFAULTS.kubernetesIssuer, audience: audience ?? CONTROL_PLANE_DEFAULTS.kubernetesAudience, jwks });
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

/** A transaction holds the generation key besides the resources: below 2, no write could ever commit. */
function txnOps(value: string): number {
  const n = positiveInteger(value, '--store-max-txn-ops');
  if (n < 2) throw new UsageError(`--store-max-txn-ops must be at least 2 (every commit also writes the generation key), got ${n}`);
  return n;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
