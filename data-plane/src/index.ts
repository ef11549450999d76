// The Sluice data plane as a library: the pieces to build your own proxy, and the mesh proxy that
// `sluice proxy` runs.
//
// Build a proxy (Pingora style): implement ProxyHttp, hand it to HttpProxy, serve it with
// createProxyServer. Keep Peers for the life of your configuration (they own the connection pools).
//
//   const backend = new Peer('127.0.0.1', 8080);
//   const proxy = new HttpProxy({ newCtx: () => ({}), upstreamPeer: () => backend });
//   createProxyServer(proxy, { maxRequestBodyBytes: 1 << 20 }).listen(8000);
//
// Feed the mesh proxy configuration (the discovery client does this with each accepted update):
//
//   const mesh = new MeshProxy();
//   const result = await mesh.applyResources(resourceSet);   // a ResourceSet (exported below)
//   if (!result.ok) nack(result.errors);                      // every error with its field path;
//                                                             // the previous snapshot keeps serving
//
// applyResources validates every resource and its references, builds a Snapshot (route matchers per
// listener, clusters with balancers and pools; unchanged clusters keep theirs), swaps it in (requests
// in flight finish on the snapshot they started on), then opens new listeners and drains removed
// ones. Calls are serialized. `applyValidated` does the same for a set validated already (the
// discovery client checks each update); `meshProxyApply(mesh)` adapts it to the discovery client's
// `apply(set)` callback, which wants a rejection on failure.

export { ProxyError, ProxyErrorCode, errorCodeTable, toProxyError, type ErrorSource } from './errors.js';

export type { ProxyHttp, HttpFilter, MaybePromise } from './proxy/proxy-http.js';
export { HttpProxy } from './proxy/http-proxy.js';
export { Session, hostName } from './proxy/session.js';
export { createProxyServer, listenerContext, type ProxyServerOptions } from './proxy/proxy-server.js';
export { DEFAULT_LISTENER_LIMITS, type ListenerContext, type ListenerLimits } from './proxy/listener-context.js';
export { createTcpProxyServer, type TcpConnectionRecord, type TcpListenerOptions, type TcpProxyContext } from './tcp/tcp-proxy-server.js';
export { drainTcpServer } from './tcp/tcp-drain.js';
export { TcpStats, type TcpResult } from './tcp/tcp-stats.js';

export { HeaderList } from './protocols/header-list.js';
export type { ResponseHead, BodyFraming } from './protocols/http1/response-head.js';

export { Peer, type PeerOptions } from './upstream/peer.js';
export { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from './upstream/connection-pool.js';
export { RetryPolicy, RetryOn, type RetryPolicyOptions } from './upstream/retry-policy.js';
export type { UpstreamConnection, UpstreamRequest, ExchangeHandler, PoolStats } from './upstream/upstream-client.js';
export type { Balancer } from './upstream/balancers/balancer.js';
export type { HashSubject } from './upstream/balancers/hash-key.js';
export { SmoothWeightedRoundRobin } from './upstream/balancers/smooth-weighted-round-robin.js';
export { LeastRequest } from './upstream/balancers/least-request.js';
export { RandomBalancer } from './upstream/balancers/random-balancer.js';
export { RingHash } from './upstream/balancers/ring-hash.js';
export { Maglev } from './upstream/balancers/maglev.js';
export { compileHashKey, type HashKeyOf } from './upstream/balancers/hash-key.js';
export { createBalancer } from './upstream/balancers/create-balancer.js';

export { CompiledRoute } from './routing/compiled-route.js';
export { RouteMatcher } from './routing/route-matcher.js';
export { HeaderEditor } from './routing/header-editor.js';

export { FilterRegistry, BUILTIN_FILTERS, type FilterFactory, type FilterContext } from './filters/filter-registry.js';
export { headerEditFilter } from './filters/header-edit-filter.js';
export { localRateLimit } from './filters/local-rate-limit.js';
export { TokenBuckets, type TokenSource } from './filters/token-buckets.js';
export { cors } from './filters/cors.js';
export { compression, DEFAULT_CONTENT_TYPES, DEFAULT_MIN_LENGTH } from './filters/compression.js';
export { negotiateEncoding } from './filters/accept-encoding.js';
export { faultInjection } from './filters/fault-injection.js';

export { Snapshot, buildSnapshot, type BuildResult } from './snapshot/snapshot.js';
export { ClusterState } from './snapshot/cluster-state.js';
export { MeshProxy, type MeshCtx, type ApplyResult, type MeshProxyOptions } from './mesh/mesh-proxy.js';
export { meshProxyApply } from './mesh/mesh-proxy-apply.js';
export { runProxyCommand } from './cli/proxy-command.js';

// The resource model the mesh proxy takes (it lives in the API package, proto/src/model).
export { ResourceSet } from '../../proto/src/model/resource-set.js';

// Active health checks as the proxy runs them: the control plane probes the endpoints that no proxy
// checks with this same code, so a verdict means the same thing whoever reached it.
export { probeEndpoint, type ProbeResult } from './upstream/health/probe.js';
export { countProbe, healthCheckSettingsOf, nextProbeDelayMs, type HealthCheckSettings } from './upstream/health/health-check-settings.js';
export { endpointWireOf, wireOf } from './upstream/cluster-wire.js';
export { MeshTls } from './identity/mesh-tls.js';
export { workloadIdentity, type WorkloadIdentity } from './identity/workload-identity.js';
