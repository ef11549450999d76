// `sluice proxy --control-plane`: the primary's one DiscoveryClient. Each configuration it accepts is
// applied through `apply` (every worker); field errors from there become the NACK's, and the last
// good configuration keeps serving. The last good one is kept in --state-dir for a restart during an
// outage. When the control plane sends nothing for --initial-fetch-timeout-ms (it may hold nothing for
// this proxy, or be unreachable) the proxy applies the empty configuration, so the sidecar listeners
// open and /ready answers, as Envoy does after its initial_fetch_timeout.
import { join } from 'node:path';
import { formatFieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { DiscoveryClient } from '../discovery/discovery-client.js';
import type { ProxyOptions } from './proxy-options.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import * as grpc from '@grpc/grpc-js';
import { configuredToken, tokenFileReader, type BearerToken } from '../../../proto/src/command-line/token-source.js';
import { controlPlaneChannel } from '../identity/control-plane-credentials.js';

export const LAST_GOOD_FILE = 'last-good.json';

/** A refused configuration: `errors` become the NACK's field errors (the client adds them to the text). */
class ConfigurationRefused extends Error {
  constructor(readonly errors: FieldError[]) {
    super('configuration refused');
    this.name = 'ConfigurationRefused';
  }
}

export interface FollowedControlPlane {
  readonly client: DiscoveryClient;
  stop(): Promise<void>;
}

/**
 * Starts following the control plane. `apply` is called one configuration at a time and resolves with
 * the errors of every worker (none: applied everywhere). `applied()` says whether anything is applied.
 * `token`: given by an embedding process; else --token-file, else SLUICE_TOKEN.
 */
export async function followControlPlane(
  options: ProxyOptions,
  apply: (set: ResourceSet) => Promise<FieldError[]>,
  applied: () => boolean,
  token?: string,
): Promise<FollowedControlPlane> {
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = (work: () => Promise<FieldError[]>): Promise<FieldError[]> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const client = new DiscoveryClient({
    addresses: options.controlPlane ?? [],
    ...(options.controlPlaneCa === undefined ? {} : controlPlaneChannel(options.controlPlaneCa)),
    node: { id: options.nodeId, service: options.service, namespace: options.namespace, zone: options.zone, adminAddress: options.adminAdvertise, ...selfEndpoint(options) },
    token: token ?? requiredToken(options.tokenFile),
    persistPath: join(options.stateDir, LAST_GOOD_FILE),
    apply: async (set) => {
      const errors = await serialized(() => apply(set));
      if (errors.length > 0) throw new ConfigurationRefused(errors);
    },
  });
  client.on('rejected', (revision, kind, message) => console.error(`sluice proxy: rejected ${kind} at revision ${revision}; keeping the last good configuration:\n${message}`));
  // A refused credential is the operator's to fix (a wrong token, a --service the token is not for):
  // say why on every refusal (the reconnect backoff bounds how often) instead of retrying silently.
  client.on('disconnected', (address, err) => {
    const status = err as Partial<grpc.StatusObject> | undefined;
    if (status?.code === grpc.status.UNAUTHENTICATED || status?.code === grpc.status.PERMISSION_DENIED) {
      console.error(`sluice proxy: the control plane at ${address} refused this proxy's credential: ${status.details ?? ''}`);
    }
  });
  const timer = setTimeout(() => {
    // Queued behind an update in progress; nothing to do if that one applied.
    void serialized(async () => (applied() ? [] : apply(new ResourceSet()))).then((errors) => {
      if (errors.length > 0) console.error(`sluice proxy: the sidecar listeners alone were refused:\n${formatFieldErrors(errors)}`);
    });
  }, options.initialFetchTimeoutMs);
  timer.unref();
  client.once('applied', () => clearTimeout(timer));
  await client.start();
  if (applied()) clearTimeout(timer); // started from the configuration on disk
  return {
    client,
    stop: async () => {
      clearTimeout(timer);
      await client.stop();
    },
  };
}

/**
 * Self-registration: with --service and --app-port the sidecar registers its endpoint,
 * at --register-address and the inbound listener's port (other proxies should come through the
 * sidecar), else the application's port.
 */
function selfEndpoint(options: ProxyOptions): { selfEndpoint?: { address: string; port: number; zone: string } } {
  if (options.service === '' || options.appPort === undefined) return {};
  return { selfEndpoint: { address: options.registerAddress, port: options.inboundListen?.port || options.appPort, zone: options.zone } };
}

/** The discovery token: --token-file (read again at each reconnect), else SLUICE_TOKEN; one of them is required. */
function requiredToken(file: string | undefined): BearerToken {
  if (file !== undefined) return tokenFileReader(file, '--token-file');
  const token = configuredToken(file, process.env);
  if (token === undefined) throw new UsageError('--control-plane needs --token-file FILE or SLUICE_TOKEN');
  return token;
}
