// The sidecar flags as resources: `--outbound-listen` opens a listener that serves every route;
// `--inbound-listen` with `--app-port` opens one whose only route forwards to the local application
// (with `--app-protocol tcp`, a TCP listener piping to it).
import { create } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { ListenerSchema } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { RouteSchema } from '../../../proto/gen/sluice/v1/route_pb.js';
import { FieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import type { Resource } from '../../../proto/src/model/kinds.js';
import { checkReferences } from '../../../proto/src/model/references.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { validateSpec } from '../../../proto/src/model/validate-resource.js';
import { UpstreamProtocol, ListenerProtocol } from '../../../proto/src/model/enums.js';
import { INBOUND_LISTENER, OUTBOUND_LISTENER } from './sidecar-listener-names.js';

export interface SidecarFlags {
  readonly outboundListen?: { host: string; port: number };
  readonly inboundListen?: { host: string; port: number };
  readonly appPort?: number;
  /** How the inbound listener reaches the application (default http1; tcp: a TCP listener). */
  readonly appProtocol?: 'http1' | 'h2c' | 'tcp';
}

const INBOUND_CLUSTER = 'sidecar-inbound-app';

export type SidecarResult = { readonly ok: true; readonly set: ResourceSet } | { readonly ok: false; readonly errors: FieldError[] };

/** The sidecar's resources and their own errors, made once per flags: every update adds the same objects. */
const made = new WeakMap<SidecarFlags, { readonly resources: readonly Resource[]; readonly errors: readonly FieldError[] }>();

/**
 * A copy of `set` with the sidecar's listeners, cluster and route added, checked: the proxy applies
 * it without validating it again, and a configured listener may want the sidecar's port.
 */
export function withSidecar(set: ResourceSet, flags: SidecarFlags): SidecarResult {
  if (flags.outboundListen === undefined && flags.inboundListen === undefined) return { ok: true, set };
  let own = made.get(flags);
  if (own === undefined) {
    const resources = sidecarResources(flags);
    made.set(flags, (own = { resources, errors: resources.flatMap((r) => validateSpec(r)) }));
  }
  if (own.errors.length > 0) return { ok: false, errors: [...own.errors] };
  const out = set.clone();
  for (const r of own.resources) out.put(r);
  const errors = new FieldErrors();
  for (const r of own.resources) checkReferences(r, out, errors);
  return errors.empty ? { ok: true, set: out } : { ok: false, errors: errors.list };
}

function sidecarResources(flags: SidecarFlags): Resource[] {
  const out: Resource[] = [];
  if (flags.outboundListen !== undefined) {
    out.push({ kind: 'Listener', spec: create(ListenerSchema, { name: OUTBOUND_LISTENER, address: flags.outboundListen.host, port: flags.outboundListen.port }) });
  }
  if (flags.inboundListen !== undefined && flags.appPort !== undefined) {
    const tcp = flags.appProtocol === 'tcp';
    out.push({
      kind: 'Listener',
      spec: create(ListenerSchema, {
        name: INBOUND_LISTENER,
        address: flags.inboundListen.host,
        port: flags.inboundListen.port,
        ...(tcp ? { protocol: ListenerProtocol.TCP, tcp: { cluster: INBOUND_CLUSTER } } : {}),
      }),
    });
    out.push({
      kind: 'Cluster',
      spec: create(ClusterSchema, {
        name: INBOUND_CLUSTER,
        protocol: flags.appProtocol === 'h2c' ? UpstreamProtocol.H2C : UpstreamProtocol.HTTP1,
        endpoints: [{ address: '127.0.0.1', port: flags.appPort }],
      }),
    });
    // A TCP listener pipes to its cluster: no route.
    if (!tcp) out.push({
      kind: 'Route',
      spec: create(RouteSchema, {
        name: INBOUND_CLUSTER,
        hosts: ['*'],
        listeners: [INBOUND_LISTENER],
        // Above every mesh route: the inbound listener only ever serves the local application.
        priority: 2 ** 31 - 1,
        action: { case: 'forward', value: { cluster: INBOUND_CLUSTER } },
      }),
    });
  }
  return out;
}
