// The sidecar flags as resources: `--outbound-listen` opens a listener that serves every route;
// `--inbound-listen` with `--app-port` opens one whose only route forwards to the local application.
import { create } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { ListenerSchema } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { RouteSchema } from '../../../proto/gen/sluice/v1/route_pb.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';

export interface SidecarFlags {
  readonly outboundListen?: { host: string; port: number };
  readonly inboundListen?: { host: string; port: number };
  readonly appPort?: number;
}

export const OUTBOUND_LISTENER = 'sidecar-outbound';
export const INBOUND_LISTENER = 'sidecar-inbound';
const INBOUND_CLUSTER = 'sidecar-inbound-app';

/** A copy of `set` with the sidecar's listeners, cluster and route added. */
export function withSidecar(set: ResourceSet, flags: SidecarFlags): ResourceSet {
  if (flags.outboundListen === undefined && flags.inboundListen === undefined) return set;
  const out = set.clone();
  if (flags.outboundListen !== undefined) {
    out.put({ kind: 'Listener', spec: create(ListenerSchema, { name: OUTBOUND_LISTENER, address: flags.outboundListen.host, port: flags.outboundListen.port }) });
  }
  if (flags.inboundListen !== undefined && flags.appPort !== undefined) {
    out.put({ kind: 'Listener', spec: create(ListenerSchema, { name: INBOUND_LISTENER, address: flags.inboundListen.host, port: flags.inboundListen.port }) });
    out.put({ kind: 'Cluster', spec: create(ClusterSchema, { name: INBOUND_CLUSTER, endpoints: [{ address: '127.0.0.1', port: flags.appPort }] }) });
    out.put({
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
