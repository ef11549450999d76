// GET /v1/proxies/:node/intended?kind=K[,K...]: what this replica would send one proxy now, the
// current snapshot scoped for its node (proxy-scope.ts: Listener selectors, keys only where served,
// routes bound to its listeners), in the shape the proxy's /config_dump?kind= answers
// (proto/src/model/config-view.ts), so `sluice ctl proxy-config` can diff effective against intended.
// A proxy connected to this replica is scoped with the Node it sent; any other with the labels given
// as ?service=&namespace=&zone= (from its /v1/proxies record), so every replica can answer.
import { create } from '@bufbuild/protobuf';
import { NodeSchema, type Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { configView, parseViewKinds, type ConfigView } from '../../../proto/src/model/config-view.js';
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { ProxyScope } from './proxy-scope.js';

/** The labels a proxy's scope depends on, as query parameters. */
const LABELS = ['service', 'namespace', 'zone'] as const;

export function intendedConfigRoutes(registry: ProxyRegistry, snapshot: () => Snapshot): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/proxies/:node/intended',
      role: 'viewer',
      handler: (ctx) => {
        const nodeId = ctx.params['node']!;
        const query = ctx.url.searchParams;
        const kinds = parseViewKinds(query.get('kind'));
        if (!kinds.ok) {
          const message = `unknown kind "${kinds.unknown}": try listeners, routes, clusters, endpoints, certs, peerauthentications, authorizationpolicies or all`;
          throw new ControlPlaneError(ErrorCode.BadRequest, message, { errors: [{ path: 'kind', message }] });
        }
        const connected = registry.nodeOf(nodeId);
        const labelled = LABELS.some((l) => query.has(l));
        if (connected === undefined && !labelled) {
          throw new ControlPlaneError(ErrorCode.NotFound, `proxy "${nodeId}" is not connected to this control-plane replica: pass its service, namespace and zone (?service=&namespace=&zone=, as GET /v1/proxies lists them)`);
        }
        const node = connected ?? create(NodeSchema, { id: nodeId, service: query.get('service') ?? '', namespace: query.get('namespace') ?? '', zone: query.get('zone') ?? '' });
        const view = intendedConfig(node, snapshot(), kinds.kinds);
        return { status: 200, body: { node: nodeId, scopedBy: connected === undefined ? 'query' : 'stream', ...view } };
      },
    },
  ];
}

/** What the discovery server would send `node` of `kinds` from `snapshot`: the shared maps with its scope's differences. */
export function intendedConfig(node: Node, snapshot: Snapshot, kinds: readonly Kind[]): ConfigView {
  const scope = new ProxyScope(node);
  scope.update(snapshot);
  const entries: EncodedResource[] = [];
  for (const kind of kinds) {
    const overrides = scope.overrides(kind);
    for (const [name, entry] of scope.base(kind)) if (!overrides.has(name)) entries.push(entry);
    for (const entry of overrides.values()) if (entry !== null) entries.push(entry);
  }
  const versions = new Map(entries.map((e) => [`${e.kind}/${e.name}`, e.version]));
  const resources: Resource[] = entries.map((e) => e.resource);
  return configView(kinds, resources, snapshot.revision, (kind, name) => versions.get(`${kind}/${name}`));
}
