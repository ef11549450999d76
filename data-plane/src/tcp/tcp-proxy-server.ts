// A TCP listener (protocol TCP): each accepted connection is admitted by the listener's connection
// gate (max_connections, the process's fd budget), on a sidecar's inbound listener sniffed for mesh
// TLS per PeerAuthentication, then connected to an endpoint of the listener's cluster and piped both
// ways. Every connection is counted (tcp-stats.ts) and, once closed, reported in one access-log line.
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import { ConnectionGate, type ClosedConnections, type ConnectionBudget } from '../proxy/connection-gate.js';
import type { ClusterState } from '../snapshot/cluster-state.js';
import { meshInboundAcceptor, type MeshInbound } from '../tls/mesh-inbound.js';
import type { CircuitBreaker } from '../upstream/circuit-breaker.js';
import { DEFAULT_POOL_OPTIONS } from '../upstream/connection-pool.js';
import { setTcpCut, trackTcpConnection } from './tcp-drain.js';
import { splice, type SpliceEnd } from './tcp-splice.js';
import type { TcpResult, TcpStats } from './tcp-stats.js';
import { connectUpstream, tcpHashSubject } from './tcp-upstream-connect.js';

/** Envoy's tcp_proxy default: an hour without a byte either way closes the connection. */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 3_600_000;
export const DEFAULT_TCP_CONNECT_ATTEMPTS = 3;

/** One TCP connection as the access log writes it. */
export interface TcpConnectionRecord {
  readonly listener: string;
  readonly cluster: string;
  /** `address:port` of the endpoint that took it, or of the last one tried. */
  readonly endpoint: string | null;
  readonly remoteAddress: string;
  readonly attempts: number;
  readonly result: TcpResult;
  /** How a piped connection ended (null when it was never piped). */
  readonly end: SpliceEnd | null;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly durationMs: number;
  /** The error code of a connection that was not piped. */
  readonly error: string | null;
  /** The caller's SPIFFE ID, when it came over mesh mutual TLS. */
  readonly principal: string | null;
}

/** What TCP listeners need from the proxy around them. */
export interface TcpProxyContext {
  /** The cluster of the current configuration: each new connection takes the newest. */
  cluster(name: string): ClusterState | undefined;
  /** The cluster's circuit breaker: its max_connections counts piped connections too. */
  breaker(name: string): CircuitBreaker | undefined;
  readonly stats: TcpStats;
  onConnection?(record: TcpConnectionRecord): void;
}

export interface TcpListenerOptions {
  readonly name: string;
  readonly cluster: string;
  readonly idleTimeoutMs: number;
  readonly maxConnectAttempts: number;
  readonly maxConnections: number;
  /** How long a sidecar's inbound connection may take to send its first byte and finish a TLS handshake. */
  readonly headerTimeoutMs: number;
  readonly budget?: ConnectionBudget;
  readonly closed?: ClosedConnections;
  /** The sidecar's inbound listener: mutual TLS or plain text per PeerAuthentication. */
  readonly meshInbound?: MeshInbound;
}

export function createTcpProxyServer(options: TcpListenerOptions, ctx: TcpProxyContext): Server {
  // Half-open: a client's FIN is passed on and the endpoint's answer still flows back.
  const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false });
  const gate = new ConnectionGate({
    listener: options.name,
    maxConnections: options.maxConnections,
    headerTimeoutMs: options.headerTimeoutMs,
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.closed ? { closed: options.closed } : {}),
  });
  const serve = (client: Socket): void => {
    // Piped from now on: never reclaimed for a new client, never closed by the header timeout.
    gate.secured(client);
    gate.busy(client);
    void pipeToCluster(server, client, options, ctx);
  };
  const mesh =
    options.meshInbound === undefined
      ? undefined
      : meshInboundAcceptor(options.meshInbound, options.headerTimeoutMs, serve, (reason) => options.closed?.add(options.name, reason), true);
  server.on('connection', (raw: Socket) => {
    if (!gate.admit(raw)) return;
    // Closed by a drain's deadline even while it waits for its first byte or its handshake.
    trackTcpConnection(server, raw, () => raw.destroy());
    raw.on('error', () => raw.destroy());
    if (mesh !== undefined) return mesh.accept(raw);
    serve(raw);
  });
  server.once('close', () => {
    gate.close();
    mesh?.close();
  });
  return server;
}

/** Connects `client` to an endpoint of the listener's cluster and pipes them, counting and logging it. */
async function pipeToCluster(server: Server, client: Socket, options: TcpListenerOptions, ctx: TcpProxyContext): Promise<void> {
  const started = performance.now();
  const series = ctx.stats.of(options.name, options.cluster);
  series.active++;
  const raw = (client as Socket & { _parent?: Socket })._parent ?? client;
  const principal = (client as TLSSocket).encrypted === true ? (spiffeUri((client as TLSSocket).getPeerCertificate().subjectaltname) ?? null) : null;
  const record = (fields: Pick<TcpConnectionRecord, 'endpoint' | 'attempts' | 'result' | 'end' | 'error'>, counts = { received: 0, sent: 0 }): void => {
    ctx.onConnection?.({ listener: options.name, cluster: options.cluster, remoteAddress: raw.remoteAddress ?? '', ...fields, bytesReceived: counts.received, bytesSent: counts.sent, durationMs: performance.now() - started, principal });
  };
  const refuse = (result: TcpResult, error: string, endpoint: string | null = null, attempts = 0): void => {
    series.results[result]++;
    series.active--;
    client.destroy();
    record({ endpoint, attempts, result, end: null, error });
  };
  const cluster = ctx.cluster(options.cluster);
  if (cluster === undefined) return refuse('no_healthy_upstream', 'SLUICE_PROXY_UNKNOWN_CLUSTER');
  const breaker = ctx.breaker(options.cluster);
  if (breaker !== undefined && !breaker.tryConnect()) return refuse('overloaded', 'SLUICE_PROXY_OVERLOADED');
  // The client leaving (reset, or a drain's deadline) while an endpoint is being connected aborts it.
  const leaving = new AbortController();
  const onGone = (): void => leaving.abort();
  client.once('close', onGone);
  client.on('error', () => client.destroy());
  const connectTimeoutMs = cluster.cluster.connectTimeoutMs || DEFAULT_POOL_OPTIONS.connectTimeoutMs;
  const outcome = await connectUpstream(cluster, tcpHashSubject(raw.remoteAddress ?? ''), options.maxConnectAttempts, connectTimeoutMs, leaving.signal);
  client.removeListener('close', onGone);
  if (!outcome.ok) {
    breaker?.connectionClosed();
    return refuse(outcome.result, outcome.error.code, outcome.peer?.key ?? null, outcome.attempts);
  }
  const { socket: upstream, peer, attempts } = outcome;
  if (client.destroyed) {
    // The client left in the turn the endpoint answered.
    upstream.destroy();
    breaker?.connectionClosed();
    return refuse('downstream_closed', 'SLUICE_PROXY_DOWNSTREAM_RESET', peer.key, attempts);
  }
  series.results.success++;
  peer.inflight++;
  const counts = { received: 0, sent: 0 };
  const piped = splice(client, upstream, options.idleTimeoutMs, (direction, n) => {
    counts[direction] += n;
    series[direction] += n;
  }, (end) => {
    peer.inflight--;
    breaker?.connectionClosed();
    series.active--;
    record({ endpoint: peer.key, attempts, result: 'success', end, error: null }, counts);
  });
  setTcpCut(server, raw, piped.destroy);
}
