// The traffic listeners a proxy was given at start: the sidecar flags' (--outbound-listen,
// --inbound-listen), every listener of a static --config, and those an embedding command names
// (`sluice start`'s --proxy-listen). One of them that cannot bind stops the process, as nginx and
// Envoy refuse to start without their configured ports. A Listener pushed later by the control plane
// that cannot bind is NACKed instead and the proxy keeps serving (Envoy's listener manager does the
// same): once a start listener has been bound, a later change to it is such a pushed update.
// Following a control plane, the sidecar listeners open with the first configuration, which may come
// only after --initial-fetch-timeout-ms: their ports are tried at once, so a taken one stops the
// proxy within a second (and if it is taken in between, the first configuration stops it).
import { createServer, type AddressInfo } from 'node:net';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import { ListenError } from '../../../proto/src/model/listen-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { parseBindFieldError } from '../mesh/bind-error.js';
import { INBOUND_LISTENER, OUTBOUND_LISTENER } from './sidecar-listener-names.js';
import type { SidecarFlags } from './sidecar-resources.js';

export class StartListeners {
  /** Listener name → what gave it, as the user wrote it (a flag). */
  private readonly sources = new Map<string, string>();
  private readonly everBound = new Set<string>();

  /** `extra`: listener name → flag, from an embedding command. */
  constructor(sidecar: SidecarFlags, config: { readonly path: string; readonly resources: ResourceSet } | undefined, extra: ReadonlyMap<string, string> = new Map()) {
    for (const l of config?.resources.list('Listener') ?? []) this.sources.set(l.name, `listener ${l.name} of --config ${config!.path}`);
    for (const [name, flag] of extra) this.sources.set(name, flag);
    if (sidecar.outboundListen !== undefined) this.sources.set(OUTBOUND_LISTENER, '--outbound-listen');
    if (sidecar.inboundListen !== undefined && sidecar.appPort !== undefined) this.sources.set(INBOUND_LISTENER, '--inbound-listen');
  }

  /** After a configuration applied with no error: its start listeners are bound. */
  bound(applied: ResourceSet): void {
    for (const name of this.sources.keys()) if (applied.has('Listener', name)) this.everBound.add(name);
  }

  /** The first start listener in `errors` that could not bind before it ever was: what stops the process. */
  failure(errors: readonly FieldError[]): ListenError | undefined {
    for (const error of errors) {
      const failed = parseBindFieldError(error);
      if (failed === undefined || this.everBound.has(failed.listener)) continue;
      const source = this.sources.get(failed.listener);
      if (source !== undefined) return new ListenError(source, failed.address, failed.code);
    }
    return undefined;
  }
}

/**
 * Binds and releases each sidecar flag's address: throws the ListenError of the first one that cannot
 * bind. An inbound listener on port 0 gets its port chosen here and returned: the sidecar registers
 * that port as its endpoint, which must be the port it then listens on, not the application's.
 */
export async function tryStartPorts(sidecar: SidecarFlags): Promise<{ inboundListen?: { host: string; port: number } }> {
  const flags: Array<[string, { host: string; port: number } | undefined]> = [
    ['--outbound-listen', sidecar.outboundListen],
    ['--inbound-listen', sidecar.appPort === undefined ? undefined : sidecar.inboundListen],
  ];
  let inboundListen: { host: string; port: number } | undefined;
  for (const [flag, address] of flags) {
    if (address === undefined || (address.port === 0 && flag !== '--inbound-listen')) continue;
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (err) => reject(new ListenError(flag, formatHostPort(address.host, address.port), err)));
      // exclusive: in a cluster primary too, a real bind of this process, not a handle shared with workers.
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        const bound = (server.address() as AddressInfo).port;
        server.close(() => resolve(bound));
      });
    });
    if (flag === '--inbound-listen' && address.port === 0) inboundListen = { host: address.host, port };
  }
  return inboundListen === undefined ? {} : { inboundListen };
}
