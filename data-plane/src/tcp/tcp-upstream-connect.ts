// Connects a TCP listener's client to an endpoint of its cluster: picked by the cluster's balancer
// (health, ejections, priorities and zones as for HTTP), failing over to an endpoint not yet tried
// when a connect fails or times out, up to the listener's max_connect_attempts. Outlier detection
// hears every failure, as for an HTTP request's connect. Mesh endpoints are reached with mutual TLS
// verified against their SPIFFE ID (the Peer carries those options, cluster-wire.ts).
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import type { ClusterState } from '../snapshot/cluster-state.js';
import type { HashSubject } from '../upstream/balancers/hash-key.js';
import type { Peer } from '../upstream/peer.js';
import { refusedConnectCode } from '../upstream/refused-connect.js';
import type { TcpResult } from './tcp-stats.js';

export type ConnectOutcome =
  | { readonly ok: true; readonly socket: Socket; readonly peer: Peer; readonly attempts: number }
  | { readonly ok: false; readonly result: TcpResult; readonly error: ProxyError; readonly attempts: number; readonly peer: Peer | undefined };

const NO_HEADERS = new HeaderList();

/** A TCP connection as consistent hashing sees it: its client address only (no header, cookie or query). */
export function tcpHashSubject(remoteAddress: string): HashSubject {
  return { authority: '', headers: NO_HEADERS, cookie: () => undefined, queryParam: () => undefined, remoteAddress };
}

/**
 * Tries endpoints of `cluster` until one accepts. `signal` aborts (the client left): the pending
 * connect is destroyed and the outcome is `downstream_closed`.
 */
export async function connectUpstream(cluster: ClusterState, subject: HashSubject, maxAttempts: number, connectTimeoutMs: number, signal: AbortSignal): Promise<ConnectOutcome> {
  const tried: Peer[] = [];
  let last: { result: TcpResult; error: ProxyError } | undefined;
  while (tried.length < maxAttempts) {
    const peer = cluster.pick(subject, tried);
    if (peer === undefined) break;
    // The balancer hands out a tried peer only when every one was tried: no endpoint is left.
    if (tried.includes(peer)) break;
    tried.push(peer);
    try {
      const socket = await connectOnce(peer, connectTimeoutMs, signal);
      // A connected endpoint ends its run of connect failures.
      cluster.outlier?.onStatus(peer, 200);
      return { ok: true, socket, peer, attempts: tried.length };
    } catch (err) {
      const error = err as ProxyError;
      if (error.code === ProxyErrorCode.DownstreamReset) return { ok: false, result: 'downstream_closed', error, attempts: tried.length, peer };
      const refused = refusedConnectCode(error);
      if (refused === undefined) cluster.outlier?.onFailure(peer, 'connect', error.code === ProxyErrorCode.ConnectTimeout ? 'connect timeout' : 'connect failure');
      else cluster.outlier?.onFailure(peer, 'refused', `connect refused (${refused})`);
      last = { result: error.code === ProxyErrorCode.ConnectTimeout ? 'connect_timeout' : 'connect_failure', error };
    }
  }
  if (last !== undefined) return { ok: false, ...last, attempts: tried.length, peer: tried[tried.length - 1] };
  return { ok: false, result: 'no_healthy_upstream', error: new ProxyError(ProxyErrorCode.NoHealthyUpstream, `cluster ${cluster.name} has no endpoint to take the connection`), attempts: 0, peer: undefined };
}

/** One connect (with its TLS handshake, for TLS endpoints), within `timeoutMs`. */
function connectOnce(peer: Peer, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Half-open: a client's FIN is passed on while the endpoint may still answer (tcp-splice.ts).
    const target = { host: peer.host, port: peer.port, allowHalfOpen: true, noDelay: true };
    const tls = peer.tls;
    const socket: Socket =
      tls === undefined ? connect(target) : connectTls({ ...tls, ...target, ...(tls.servername === undefined && isIP(peer.host) === 0 ? { servername: peer.host } : {}) });
    const finish = (error: ProxyError | undefined): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (error === undefined) return resolve(socket);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => finish(new ProxyError(ProxyErrorCode.ConnectTimeout, `connect to ${peer.key} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => finish(new ProxyError(ProxyErrorCode.ConnectFailure, `connect to ${peer.key} failed: ${err.code ?? err.message}`, { cause: err }));
    const onAbort = (): void => finish(new ProxyError(ProxyErrorCode.DownstreamReset, 'the client left before an endpoint was connected'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    socket.once('error', onError);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => finish(undefined));
  });
}
