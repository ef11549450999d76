// The one place the CLI turns parsed options into a ControlPlane: `sluice control-plane` and `sluice
// start` (npm start) both build theirs here, so both get the same parts: the store, the admin API,
// health with its hooks on the discovery stream, and discovery on --discovery-listen.
import type { Logger } from 'pino';
import { ControlPlane } from '../control-plane.js';
import type { ControlPlaneCliOptions } from './control-plane-options.js';

export function buildControlPlane(options: ControlPlaneCliOptions, token: string, log: Logger): ControlPlane {
  return new ControlPlane({
    etcdEndpoints: options.etcdEndpoints,
    apiListen: options.apiListen,
    discoveryListen: options.discoveryListen,
    token,
    maxBodyBytes: options.maxBodyBytes,
    health: { leaseTtlSeconds: options.leaseTtlSeconds, leaderLeaseTtlSeconds: options.leaderLeaseTtlSeconds },
    log,
  });
}
