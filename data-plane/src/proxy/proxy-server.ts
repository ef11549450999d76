// A node:http server that feeds an HttpProxy, configured from a listener's limits. node:http's
// llhttp parser is strict (CL+TE, differing CLs, bad chunk sizes, obs-fold are refused); its refusals
// and the timeouts arrive here as 'clientError' and are answered 400 / 408 / 431 and closed.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { attachHttp2 } from '../protocols/http2/h2-downstream.js';
import { trackConnections, type DrainState } from './drain-server.js';
import { proxyUpgrade } from './upgrade-proxy.js';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { HttpProxy } from './http-proxy.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerContext } from './listener-context.js';

export interface ProxyServerOptions extends Partial<ListenerContext> {
  /** Called for requests refused before they had a session (bad framing, timeouts). */
  onClientError?: (error: ProxyError, socket: Socket) => void;
  /** TLS termination (HTTPS listeners): node:tls server options, SNICallback and ALPN included. */
  tls?: TlsOptions & SecureContextOptions;
  /** Serve HTTP/2 too (ALPN h2 over TLS, prior-knowledge h2c in cleartext). Default true. */
  http2?: boolean;
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
  const server: Server = options.tls !== undefined ? (createTlsServer({ ...options.tls, ...serverOptions }) as unknown as Server) : createServer(serverOptions);
  server.keepAliveTimeout = listener.idleTimeoutMs;
  // A draining server (drain-server.ts) answers `Connection: close`, so keep-alive clients leave cleanly.
  // `drain` is set below, before the server listens.
  let drain: DrainState;
  server.on('request', (req, res) => {
    if (drain.draining) res.shouldKeepAlive = false;
    proxy.handle(req, res, listener);
  });
  // Registering this stops node:http from answering 100 Continue itself: the proxy answers it when it
  // first reads the body, so a request refused by its head (404, 413) never makes the client send it.
  server.on('checkContinue', (req, res) => {
    if (drain.draining) res.shouldKeepAlive = false;
    proxy.handle(req, res, listener, true);
  });
  if (options.http2 !== false) {
    attachHttp2(server, {
      maxHeaderBytes: listener.maxHeaderBytes,
      idleTimeoutMs: listener.idleTimeoutMs,
      onRequest: (req, res, expectContinue) => proxy.handle(req, res, listener, expectContinue),
    });
  }
  // After attachHttp2, which takes over the 'connection' listeners: h2 sockets are tracked too.
  drain = trackConnections(server, options.tls !== undefined);
  // WebSocket handshakes (and other HTTP/1.1 upgrades) leave node:http's request cycle here.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxyUpgrade(proxy, req, socket, head, listener));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const error = clientErrorOf(err);
    options.onClientError?.(error, socket);
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== ProxyErrorCode.DownstreamReset && socket.writable && !(inFlight?.headersSent ?? false)) {
      const body = `${error.causeName}\n`;
      socket.end(
        `HTTP/1.1 ${error.status} ${STATUS_TEXT[error.status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
          `x-sluice-error: ${error.causeName}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    }
    socket.destroySoon();
  });
  return server;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

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
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'onClientError' && k !== 'tls' && k !== 'http2') (out as Record<string, unknown>)[k] = v;
  return out;
}
