// The one place the CLI turns parsed options into a ControlPlane: `sluice control-plane` and `sluice
// start` (npm start) both build theirs here, so both get the same parts: the store, the admin API,
// health with its hooks on the discovery stream, and discovery on --discovery-listen.
import type { Logger } from 'pino';
import { ControlPlane } from '../control-plane.js';
import { AesGcmSealer } from '../identity/aes-gcm-sealer.js';
import type { ControlPlaneCliOptions } from './control-plane-options.js';

/**
 * The sealer is built here from --encryption-key-file, one per process, and reaches every part that
 * stores a private key: the store (Certificates) and, through ControlPlane.sealer and the modules'
 * deps, anything else kept sealed in etcd.
 * `token`: the admin token (`--token-file`, or `sluice start`'s own); the named tokens come from `options`.
 */
export function buildControlPlane(options: ControlPlaneCliOptions, token: string | undefined, log: Logger): ControlPlane {
  return new ControlPlane({
    etcdEndpoints: options.etcdEndpoints,
    etcdCredentials: options.etcdCredentials,
    sealer: new AesGcmSealer(options.encryptionKeys ?? []),
    apiTls: options.apiTls,
    apiListen: options.apiListen,
    discoveryListen: options.discoveryListen,
    ...(token === undefined ? {} : { token }),
    tokens: options.tokens,
    maxBodyBytes: options.maxBodyBytes,
    historyLimit: options.historyLimit,
    storeLimits: options.storeLimits,
    health: { leaseTtlSeconds: options.leaseTtlSeconds, leaderLeaseTtlSeconds: options.leaderLeaseTtlSeconds },
    identity: { discoveryTls: options.discoveryTls, trustDomain: options.trustDomain, workloadCertTtlSeconds: options.workloadCertTtlSeconds, ...(options.pluginCa === undefined ? {} : { pluginCa: options.pluginCa }), ...(options.kubernetes === undefined ? {} : { kubernetes: options.kubernetes }) },
    ui: { sessions: { ttlSeconds: options.uiSessionTtlSeconds }, feed: { maxSubscribers: options.uiFeedMaxSubscribers } },
    log,
  });
}
