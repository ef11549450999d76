// A node:http server that feeds an HttpProxy, configured from a listener's limits. node:http's
// llhttp parser is strict (CL+TE, differing CLs, bad chunk sizes, obs-fold are refused); its refusals
// and the timeouts arrive here as 'clientError' and are answered 400 / 408 / 431 and closed. Every
// accepted connection passes a ConnectionGate first (connection cap, header timeout from accept).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions, Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { attachHttp1 } from '../protocols/http1/h1-downstream.js';
import { attachHttp2 } from '../protocols/http2/h2-downstream.js';
import { trackConnections, type DrainState } from './drain-server.js';
import { proxyUpgrade } from './upgrade-proxy.js';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { ConnectionGate, type ClosedConnections, type ConnectionBudget } from './connection-gate.js';
import type { HttpProxy } from './http-proxy.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerContext } from './listener-context.js';
import { rawAnswer } from './raw-answer.js';
import { selectContextByClientHello, type ContextSelector } from '../tls/context-by-client-hello.js';
import { meshInboundAcceptor, type MeshInbound } from '../tls/mesh-inbound.js';
import type { TlsHandshakes } from '../tls/tls-handshakes.js';

export interface ProxyServerOptions extends Partial<ListenerContext> {
  /** Called for requests refused before they had a session (bad framing, timeouts). */
  onClientError?: (error: ProxyError, socket: Socket) => void;
  /** TLS termination (HTTPS listeners): node:tls server options, SNICallback and ALPN included. */
  tls?: TlsOptions & SecureContextOptions;
  /** Serve HTTP/2 too (ALPN h2 over TLS, prior-knowledge h2c in cleartext). Default true. */
  http2?: boolean;
  /** The client connections this server shares with the process's other listeners (default: the process's). */
  connectionBudget?: ConnectionBudget;
  /** Where connections closed by the gate (header timeout, reclaimed, refused) are counted. */
  closedConnections?: ClosedConnections;
  /**
   * TLS: the secure context for a ClientHello's server name (undefined: the default), chosen before
   * the handshake so each name's own key pairs are offered (tls/context-by-client-hello.ts).
   */
  selectContext?: ContextSelector;
  /** HTTPS: where completed handshakes are counted, resumed or full. */
  tlsHandshakes?: TlsHandshakes;
  /** A sidecar's inbound listener (plain-text server): mutual TLS or plain text per PeerAuthentication (tls/mesh-inbound.ts). */
  meshInbound?: MeshInbound;
}

const SERVER_ONLY = new Set(['onClientError', 'tls', 'http2', 'connectionBudget', 'closedConnections', 'selectContext', 'meshInbound', 'tlsHandshakes']);

const gates = new WeakMap<object, ConnectionGate>();
/** How long after the gate's header timeout node:tls's own handshake timeout backs it up. */
const TLS_BACKSTOP_MARGIN_MS = 1000;

/** The connection gate of a server made by createProxyServer. */
export function gateOf(server: object): ConnectionGate | undefined {
  return gates.get(server);
}

export function listenerContext(options: Partial<ListenerContext> = {}): ListenerContext {
  return Object.freeze({ name: options.name ?? 'default', scheme: options.scheme ?? 'http', ...DEFAULT_LISTENER_LIMITS, ...stripUndefined(options) });
}

export function createProxyServer(proxy: HttpProxy<any>, options: ProxyServerOptions = {}): Server {
  const listener = listenerContext(options);
  const requestTimeout = listener.requestTimeoutMs;
  const serverOptions = {
    maxHeaderSize: listener.maxHeaderBytes,
    headersTimeout: listener.headerTimeoutMs,
    // node:http wants requestTimeout ≥ headersTimeout when it is set.
    requestTimeout: requestTimeout > 0 ? Math.max(requestTimeout, listener.headerTimeoutMs) : 0,
    // How often node:http looks for connections past those timeouts.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(listener.headerTimeoutMs / 4))),
    keepAliveTimeout: listener.idleTimeoutMs,
    noDelay: true,
    requireHostHeader: true,
  };
  const tls = options.tls !== undefined;
  // The gate closes a connection with no request head after headerTimeoutMs and counts it
  // (header_timeout), a TLS handshake included. node:tls's handshake timers (the HTTPS listener's and
  // a sidecar inbound's mutual TLS) and the ClientHello reader's are backstops set later: at the same
  // instant they raced the gate, and a connection they closed first went uncounted.
  const tlsBackstopMs = listener.headerTimeoutMs + TLS_BACKSTOP_MARGIN_MS;
  const server: Server = tls
    ? (createTlsServer({ ...options.tls, ...serverOptions, handshakeTimeout: tlsBackstopMs }) as unknown as Server)
    : createServer(serverOptions);
  // First, before h2 sniffing, drain tracking and the gate wrap the 'connection' listeners: it
  // replaces node:tls's own.
  if (tls && options.selectContext !== undefined) selectContextByClientHello(server as unknown as TlsServer, options.selectContext, tlsBackstopMs);
  server.keepAliveTimeout = listener.idleTimeoutMs;
  // node:http keeps the first maxHeadersCount fields and drops the rest without a word; one more than
  // the limit is enough to know the request is over it (Session.headerCount → 431, never truncated).
  server.maxHeadersCount = listener.maxHeaderCount + 1;
  const gate = new ConnectionGate({
    listener: listener.name,
    maxConnections: listener.maxConnections,
    headerTimeoutMs: listener.headerTimeoutMs,
    ...(options.connectionBudget ? { budget: options.connectionBudget } : {}),
    ...(options.closedConnections ? { closed: options.closedConnections } : {}),
  });
  gates.set(server, gate);
  // A draining server (drain-server.ts) answers `Connection: close`, so keep-alive clients leave cleanly.
  // `drain` is set below, before the server listens.
  let drain: DrainState;
  // A sidecar's inbound listener switched to STRICT: a plain-text connection accepted before the
  // switch serves the request in hand and closes (as Envoy drains a replaced filter chain), so no
  // plain-text caller keeps a connection past a switch.
  const meshInbound = options.meshInbound;
  const plainUnderStrict = (req: IncomingMessage): boolean =>
    meshInbound !== undefined && (req.socket as { encrypted?: boolean }).encrypted !== true && meshInbound.mode() === 'STRICT';
  const serve = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void => {
    if (drain.draining || plainUnderStrict(req)) res.shouldKeepAlive = false;
    const token = gate.busy(req.socket);
    res.once('close', () => gate.done(token));
    proxy.handle(req, res, listener, expectContinue);
  };
  server.on('request', (req, res) => serve(req, res, false));
  // Registering this stops node:http from answering 100 Continue itself: the proxy answers it when it
  // first reads the body, so a request refused by its head (404, 413) never makes the client send it.
  server.on('checkContinue', (req, res) => serve(req, res, true));
  // Plain HTTP/1.1 requests are read by the proxy itself, the rest by node:http (h1-downstream.ts).
  attachHttp1(server, { maxHeaderBytes: listener.maxHeaderBytes, maxHeaderCount: listener.maxHeaderCount, onRequest: (req, res) => serve(req, res, false) }, tls);
  const http2 = options.http2 !== false;
  if (http2) {
    attachHttp2(server, {
      maxHeaderBytes: listener.maxHeaderBytes,
      maxHeaderCount: listener.maxHeaderCount,
      idleTimeoutMs: listener.idleTimeoutMs,
      gate,
      onRequest: (req, res, expectContinue) => {
        // HTTP/2 in plain text after a switch to STRICT: GOAWAY, the streams already open finish.
        if (plainUnderStrict(req)) (req as IncomingMessage & { stream?: { session?: { close(): void } } }).stream?.session?.close();
        proxy.handle(req, res, listener, expectContinue);
      },
    });
  }
  // After attachHttp2, which takes over the 'connection' listeners: h2 sockets are tracked too.
  drain = trackConnections(server, tls);
  // The gate goes in front of every 'connection' listener (TLS wrapping, h2 sniffing, drain tracking):
  // a connection it refuses reaches none of them.
  const onConnection = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const handOn = (socket: Socket): void => {
    for (const l of onConnection) l.call(server, socket);
  };
  const mesh =
    options.meshInbound === undefined || tls
      ? undefined
      : meshInboundAcceptor(options.meshInbound, tlsBackstopMs, (socket) => {
          // A TLSSocket after the handshake: the gate knows it by its raw socket.
          gate.secured(socket);
          if (!http2) gate.http1(socket);
          handOn(socket);
        }, (reason) => options.closedConnections?.add(listener.name, reason));
  server.on('connection', (socket: Socket) => {
    if (!gate.admit(socket)) return;
    if (mesh !== undefined) return mesh.accept(socket);
    if (!http2 && !tls) gate.http1(socket);
    handOn(socket);
  });
  if (tls) {
    server.prependListener('secureConnection', (socket: Socket) => {
      options.tlsHandshakes?.add(listener.name, (socket as TLSSocket).isSessionReused() ? 'resumed' : 'full');
      gate.secured(socket);
      if (!http2) gate.http1(socket);
    });
  }
  server.once('close', () => {
    gate.close();
    mesh?.close();
  });
  // WebSocket handshakes (and other HTTP/1.1 upgrades) leave node:http's request cycle here.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gate.busy(req.socket);
    proxyUpgrade(proxy, req, socket, head, listener);
  });
  // CONNECT: without this listener node:http closes the connection without a word. The engine answers
  // it 501 method-not-implemented (docs/limits.md says why not 405), then the connection closes.
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gate.busy(req.socket);
    proxyUpgrade(proxy, req, socket, head, listener);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const error = clientErrorOf(err);
    options.onClientError?.(error, socket);
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== ProxyErrorCode.DownstreamReset && socket.writable && !socket.writableEnded && !(inFlight?.headersSent ?? false)) {
      socket.end(rawAnswer(error.status, error.causeName));
    }
    socket.destroySoon();
  });
  return server;
}

function clientErrorOf(err: NodeJS.ErrnoException): ProxyError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ProxyError(ProxyErrorCode.HeadersTooLarge, 'request head too large', { cause: err });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADER_TIMEOUT':
      return new ProxyError(ProxyErrorCode.RequestTimeout, 'request not received in time', { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new ProxyError(ProxyErrorCode.DownstreamReset, 'client reset the connection', { cause: err });
    default:
      return new ProxyError(ProxyErrorCode.BadRequest, `malformed request: ${err.code ?? err.message}`, { cause: err });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && !SERVER_ONLY.has(k)) (out as Record<string, unknown>)[k] = v;
  return out;
}
