// The scenario's resources, as the admin API takes them (protobuf JSON with `kind`): three HTTP/1.1
// clusters, an h2c gRPC cluster and a WebSocket cluster; routes by host; an HTTP and an HTTPS
// listener on port 0 (every proxy binds its own free port) on their own loopback addresses, so each
// is told apart in /proc; and the one listener the scenario adds and removes.
import type { Leaf } from './test-certificates.js';

export type Resource = Record<string, unknown> & { kind: string; name: string };

export interface UpstreamPorts {
  readonly webA: readonly number[];
  readonly webB: readonly number[];
  readonly pool: readonly number[];
  readonly grpc: number;
  readonly ws: number;
}

/** Where each listener binds: 127.0.0.0/8 is all loopback on Linux. */
export const LISTEN = { main: '127.0.0.2', secure: '127.0.0.3', extra: '127.0.0.4' } as const;
export const HOSTS = { web: 'web.test', pool: 'pool.test', grpc: 'grpc.test', ws: 'ws.test', doomed: 'doomed.test' } as const;

const ep = (port: number, weight = 1): Record<string, unknown> => ({ address: '127.0.0.1', port, weight });

export function certificate(leaf: Leaf): Resource {
  return { kind: 'Certificate', name: 'gw-cert', certChain: leaf.certChain, privateKey: leaf.privateKey };
}

/** The web route: weights shift between web-a and web-b, and a response header records the edit. */
export function webRoute(edit: number, weightA: number): Resource {
  return {
    kind: 'Route', name: 'web', hosts: [HOSTS.web], match: { pathPrefix: '/' },
    forward: { weighted: [{ cluster: 'web-a', weight: weightA }, { cluster: 'web-b', weight: 100 - weightA }] },
    responseHeaders: { set: { 'x-edit': String(edit) } },
  };
}

export function hostRoute(name: string, host: string, cluster: string, edit: number): Resource {
  return { kind: 'Route', name, hosts: [host], match: { pathPrefix: '/' }, forward: { cluster }, timeoutMs: 60_000, requestHeaders: { set: { 'x-edit': String(edit) } } };
}

/** The pool cluster's dynamic endpoints: the first always (its weight varies), the second only while `withSecond`. */
export function poolEndpoints(ports: UpstreamPorts, weight: number, withSecond: boolean): Resource {
  return { kind: 'Endpoints', name: 'pool', endpoints: [ep(ports.pool[0]!, weight), ...(withSecond ? [ep(ports.pool[1]!, 5)] : [])] };
}

export function extraListener(): Resource {
  return { kind: 'Listener', name: 'extra', address: LISTEN.extra, port: 0, protocol: 'HTTP', limits: { drainTimeoutMs: 3000 } };
}

export function initialResources(ports: UpstreamPorts, leaf: Leaf): Resource[] {
  return [
    certificate(leaf),
    { kind: 'Cluster', name: 'web-a', endpoints: ports.webA.map((p) => ep(p)) },
    { kind: 'Cluster', name: 'web-b', endpoints: ports.webB.map((p) => ep(p)) },
    { kind: 'Cluster', name: 'pool', endpoints: [ep(ports.pool[0]!)] },
    poolEndpoints(ports, 5, true),
    { kind: 'Cluster', name: 'grpc', protocol: 'H2C', endpoints: [ep(ports.grpc)] },
    { kind: 'Cluster', name: 'ws', endpoints: [ep(ports.ws)] },
    webRoute(0, 50),
    hostRoute('pool', HOSTS.pool, 'pool', 0),
    hostRoute('grpc', HOSTS.grpc, 'grpc', 0),
    hostRoute('ws', HOSTS.ws, 'ws', 0),
    hostRoute('doomed', HOSTS.doomed, 'web-a', 0),
    { kind: 'Listener', name: 'main', address: LISTEN.main, port: 0, protocol: 'HTTP' },
    { kind: 'Listener', name: 'secure', address: LISTEN.secure, port: 0, protocol: 'HTTPS', tls: { certificates: ['gw-cert'], defaultCertificate: 'gw-cert' } },
  ];
}
