// The one place the CLI turns parsed options into a ControlPlane: `sluice control-plane` and `sluice
// start` (npm start) both build theirs here, so both get the same parts: the store, the admin API,
// health with its hooks on the discovery stream, and discovery on --discovery-listen.
import type { Logger } from 'pino';
import { ControlPlane } from '../control-plane.js';
import type { ControlPlaneCliOptions } from './control-plane-options.js';
import type { SecretSealer } from '../identity/secret-sealer.js';

/** Parts the flags cannot give: the sealer of the CA's private key (default: stored as it is). */
export interface ControlPlaneParts {
  readonly sealer?: SecretSealer;
}

export function buildControlPlane(options: ControlPlaneCliOptions, token: string, log: Logger, parts: ControlPlaneParts = {}): ControlPlane {
  return new ControlPlane({
    etcdEndpoints: options.etcdEndpoints,
    apiListen: options.apiListen,
    discoveryListen: options.discoveryListen,
    token,
    maxBodyBytes: options.maxBodyBytes,
    health: { leaseTtlSeconds: options.leaseTtlSeconds, leaderLeaseTtlSeconds: options.leaderLeaseTtlSeconds },
    identity: { ...parts, discoveryTls: options.discoveryTls, trustDomain: options.trustDomain, workloadCertTtlSeconds: options.workloadCertTtlSeconds, ...(options.pluginCa === undefined ? {} : { pluginCa: options.pluginCa }) },
    log,
  });
}
