// HTTP/1.1 Upgrade (WebSocket, RFC 6455 §4) through the same phase hooks: requestFilter routes it,
// upstreamPeer picks the endpoint, upstreamRequestFilter edits the handshake, responseFilter sees
// the upstream's answer; after a 101 both sockets are piped as they are (frames, ping/pong and close
// codes pass untouched) until either side closes or both stay silent for the idle timeout.
import { ServerResponse, type IncomingMessage } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Duplex } from 'node:stream';
import { ProxyError, ProxyErrorCode, toProxyError } from '../errors.js';
import { parseResponseHead } from '../protocols/http1/response-head.js';
import type { Peer } from '../upstream/peer.js';
import type { HttpProxy } from './http-proxy.js';
import type { ListenerContext } from './listener-context.js';
import { runRequestFilter } from './request-filter-phase.js';
import { Session } from './session.js';
import { relayRefusal } from './upgrade-refusal.js';

const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

/**
 * Serves a request that node:http handed over as an upgrade. A WebSocket handshake is tunnelled;
 * any other upgrade (such as `h2c`) is served as a plain request on a connection that then closes.
 */
export function proxyUpgrade<CTX>(engine: HttpProxy<CTX>, req: IncomingMessage, socket: Duplex, head: Buffer, listener: ListenerContext): void {
  if ((socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    // An upgrade pipelined behind a request still being answered (no browser does this): node:http has
    // let go of the connection, which cannot carry both that answer and a new one, so it is closed.
    // (Assigning a second response would throw ERR_HTTP_SOCKET_ASSIGNED and end the process.)
    socket.destroy();
    return;
  }
  const res = new ServerResponse(req);
  res.assignSocket(socket as Socket);
  res.shouldKeepAlive = false;
  res.on('finish', () => socket.end());
  socket.on('error', () => socket.destroy());
  if (!/\bwebsocket\b/i.test(req.headers.upgrade ?? '')) {
    // node:http reads no body for an upgrade request (its bytes arrive in `head`), so one that
    // declares a body would be forwarded with a body that never comes: refused, as nginx does not
    // take `Upgrade: h2c` either. A client leaving (FIN) before the answer ends the exchange.
    const cl = req.headers['content-length'];
    if (req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')) {
      const error = new ProxyError(ProxyErrorCode.BadRequest, 'a body with an Upgrade other than websocket');
      res.writeHead(error.status, { 'content-type': 'text/plain', 'x-sluice-error': error.causeName, 'content-length': Buffer.byteLength(`${error.causeName}\n`) });
      res.end(`${error.causeName}\n`);
      return;
    }
    socket.once('end', () => {
      if (!res.writableFinished) socket.destroy();
    });
    engine.handle(req, res, listener);
    return;
  }
  if (head.length > 0) socket.unshift(head);
  void tunnel(engine, new Session(req, res, listener), socket as Socket);
}

async function tunnel<CTX>(engine: HttpProxy<CTX>, session: Session, client: Socket): Promise<void> {
  const app = engine.app;
  let ctx: CTX | undefined;
  let error: ProxyError | undefined;
  try {
    ctx = app.newCtx();
    const answered = await runRequestFilter(app, session, ctx);
    if (!answered) {
      const peer: Peer = await app.upstreamPeer(session, ctx);
      session.triedPeers.push(peer);
      const request = engine.upstreamRequest(session);
      request.headers.set('connection', 'upgrade');
      request.headers.set('upgrade', 'websocket');
      app.upstreamRequestFilter?.(session, request, ctx);
      const upstream = await open(peer);
      let text = `${request.method} ${request.target} HTTP/1.1\r\n`;
      const raw = request.headers.raw;
      for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
      upstream.write(`${text}\r\n`);
      const { headText, rest } = await readHead(upstream);
      // The request's own method: the answer to a HEAD has no body whatever its headers say.
      const parsed = parseResponseHead(headText, session.method);
      if (!parsed.ok) throw new ProxyError(ProxyErrorCode.UpstreamProtocol, `upgrade answer: ${parsed.error}`);
      const head = parsed.head;
      app.responseFilter?.(session, head, ctx);
      session.status = head.status;
      let out = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
      if (head.status === 101) out += 'connection: upgrade\r\nupgrade: websocket\r\n';
      const h = head.headers.raw;
      for (let i = 0; i < h.length; i += 2) out += `${h[i]}: ${h[i + 1]}\r\n`;
      if (head.status !== 101) {
        // Refused (401, 404, a server that does not speak WebSocket): pass the answer on, close both.
        await relayRefusal(client, upstream, head, out, rest, session.listener.idleTimeoutMs);
      } else {
        client.write(`${out}\r\n`);
        if (rest.length > 0) client.write(rest);
        await pipeBoth(client, upstream, session.listener.idleTimeoutMs, session);
      }
    }
  } catch (err) {
    error = toProxyError(err);
    session.error = error;
    if (!session.responseStarted && !client.destroyed) {
      try {
        if (app.failToProxy !== undefined) await app.failToProxy(session, error, ctx as CTX);
      } catch {
        // Fall through to the default answer.
      }
      if (!session.responseStarted) session.respond(error.status, `${error.causeName}\n`, ['x-sluice-error', error.causeName]);
    } else {
      client.destroy();
    }
  }
  try {
    app.logging?.(session, error, ctx as CTX);
  } catch {
    // A logging hook must not take the proxy down.
  }
}

function open(peer: Peer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = peer.tls;
    // Over TLS (the cluster's SNI, CA and client certificate), ALPN http/1.1: Upgrade is HTTP/1.1's.
    const socket =
      tls === undefined
        ? connect({ host: peer.host, port: peer.port, noDelay: true })
        : connectTls({ ...tls, host: peer.host, port: peer.port, ALPNProtocols: ['http/1.1'], ...(tls.servername === undefined && isIP(peer.host) === 0 ? { servername: peer.host } : {}) });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new ProxyError(ProxyErrorCode.ConnectFailure, `connect to ${peer.key} failed: ${err.code ?? err.message}`, { cause: err })));
  });
}

function readHead(socket: Socket): Promise<{ headText: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD_BYTES) done(new ProxyError(ProxyErrorCode.UpstreamProtocol, 'upgrade answer head too large'));
        return;
      }
      socket.pause();
      done(undefined, { headText: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) });
    };
    const onClose = (): void => done(new ProxyError(ProxyErrorCode.UpstreamReset, 'upstream closed during the upgrade'));
    const done = (err?: ProxyError, value?: { headText: string; rest: Buffer }): void => {
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onClose);
      if (err !== undefined) {
        socket.destroy();
        reject(err);
      } else resolve(value!);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onClose);
  });
}

/** Pipes with backpressure both ways; either side closing (or the idle timeout) closes both. */
function pipeBoth(client: Socket, upstream: Socket, idleTimeoutMs: number, session: Session): Promise<void> {
  return new Promise((resolve) => {
    let lastActivity = Date.now();
    const count = (into: 'in' | 'out') => (chunk: Buffer): void => {
      lastActivity = Date.now();
      if (into === 'in') session.bytesReceived += chunk.length;
      else session.bytesSent += chunk.length;
    };
    client.on('data', count('in'));
    upstream.on('data', count('out'));
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.resume();
    let timer: NodeJS.Timeout | undefined;
    if (idleTimeoutMs > 0) {
      // Idle means no byte either way: a busy one-way stream keeps the tunnel open.
      const check = (): void => {
        const idle = Date.now() - lastActivity;
        if (idle >= idleTimeoutMs) finish();
        else timer = setTimeout(check, idleTimeoutMs - idle);
      };
      timer = setTimeout(check, idleTimeoutMs);
    }
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      resolve();
    };
    client.on('close', finish);
    upstream.on('close', finish);
    client.on('error', finish);
    upstream.on('error', finish);
  });
}
