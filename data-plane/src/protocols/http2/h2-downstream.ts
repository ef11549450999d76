// HTTP/2 from clients on the same listening socket as HTTP/1.1: over TLS the ALPN result picks the
// protocol; in cleartext the first bytes do (the h2c prior-knowledge preface, RFC 9113 §3.3). HTTP/2
// connections run on Sluice's own codec (h2-server-session.ts): each stream becomes a lean
// request/response pair (h2-request.ts, h2-response.ts) with the members of node:http's the engine
// uses, so the phase hooks run unchanged. Draining sends GOAWAY and lets open streams finish.
import type { IncomingHttpHeaders } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionGate } from '../../proxy/connection-gate.js';
import { H2Request } from './h2-request.js';
import { H2Response } from './h2-response.js';
import { H2ServerSession } from './h2-server-session.js';
import type { H2ServerStream } from './h2-server-stream.js';

/** The client connection preface: `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface H2Options {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly idleTimeoutMs: number;
  /** Tells the listener's gate which connections carry sessions and when their streams run. */
  readonly gate?: ConnectionGate;
  /** Serves one request; the same handler node:http's 'request' event gets. */
  readonly onRequest: (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => void;
}

export interface H2Attachment {
  readonly sessions: Set<H2ServerSession>;
  /** GOAWAY to every session: no new streams, open ones finish. */
  goAway(): void;
  /** Closes every session now. */
  destroyAll(): void;
}

const attachments = new WeakMap<object, H2Attachment>();

/** The HTTP/2 side of a server made by createProxyServer, if it has one. */
export function h2Of(server: object): H2Attachment | undefined {
  return attachments.get(server);
}

/**
 * Routes HTTP/2 connections of `server` (node:http or node:https) to a node:http2 server that feeds
 * the same handler. HTTP/1.1 connections keep going to node:http's own connection handling.
 */
export function attachHttp2(server: Server | HttpsServer, options: H2Options): H2Attachment {
  // Requests between the listener's limits and these get the same 431 as over HTTP/1.1
  // (Session.headerCount, headerBytes); only floods past them are reset.
  const limits = { maxHeaderListSize: h2HeaderBytesCeiling(options.maxHeaderBytes), maxHeaderCount: h2HeaderPairsCeiling(options.maxHeaderCount) };
  const sessions = new Set<H2ServerSession>();
  let draining = false;
  const toH2 = (socket: Socket): void => {
    const session = new H2ServerSession(socket, limits);
    options.gate?.h2Session(socket, session);
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    if (options.idleTimeoutMs > 0) session.setTimeout(options.idleTimeoutMs, () => session.closeIdle());
    // The socket is the connection's own (a TLSSocket over TLS), read by requests for the client's
    // address and certificate.
    session.on('stream', (stream: H2ServerStream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => serveStream(stream, headers, rawHeaders, socket, options.onRequest));
    socket.resume();
    // A connection whose preface came after the drain began gets GOAWAY at once.
    if (draining) session.close();
  };

  const tls = 'setSecureContext' in server;
  const event = tls ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  if (tls) {
    server.on(event, (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') toH2(socket);
      else {
        options.gate?.http1(socket);
        for (const l of http1) l.call(server, socket);
      }
    });
  } else {
    server.on(event, (socket: Socket) => sniff(socket, (isH2) => {
      if (isH2) {
        toH2(socket);
        return;
      }
      options.gate?.http1(socket);
      for (const l of http1) l.call(server, socket);
      socket.resume();
    }));
  }
  const attachment: H2Attachment = {
    sessions,
    goAway: () => {
      draining = true;
      for (const s of sessions) s.close();
    },
    destroyAll: () => {
      for (const s of sessions) s.destroy();
    },
  };
  attachments.set(server, attachment);
  return attachment;
}

/**
 * Hands one stream to the engine. CONNECT (RFC 9113 §8.5) goes too: the engine answers it 501
 * method-not-implemented, as over HTTP/1.1. `Expect: 100-continue` is answered by the engine when it
 * first reads the body; any other expectation gets 417, as node:http2's compatibility layer answered.
 */
function serveStream(stream: H2ServerStream, headers: IncomingHttpHeaders, rawHeaders: string[], socket: Socket, onRequest: H2Options['onRequest']): void {
  // Errors on a stream are the client's (a reset); the engine sees them as a closed response.
  stream.on('error', ignore);
  const req = new H2Request(stream, headers, rawHeaders, socket) as unknown as IncomingMessage;
  const res = new H2Response(stream, headers.te === 'trailers');
  const expect = headers.expect;
  if (expect !== undefined && expect !== '100-continue') {
    res.statusCode = 417;
    res.end();
    return;
  }
  onRequest(req, res as unknown as ServerResponse, expect !== undefined);
}

function ignore(): void {}

/** Header fields node:http2 accepts per stream: 8 times the limit, at least 8192. */
export function h2HeaderPairsCeiling(maxHeaderCount: number): number {
  return Math.max(8192, 8 * maxHeaderCount + 4);
}

/** Header list bytes (RFC 9113 §6.5.2: name + value + 32 each) node:http2 accepts per stream: 8 times the limit, at least 256 KiB. */
export function h2HeaderBytesCeiling(maxHeaderBytes: number): number {
  return Math.max(256 * 1024, 8 * maxHeaderBytes);
}

/** Reads until the bytes can or cannot be the preface, puts them back, then says which. */
function sniff(socket: Socket, then: (isH2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const prefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (prefix && n < PREFACE.length) return;
    done();
    then(prefix);
  };
  // The client left (FIN or reset) while its bytes could still be the preface: nothing to serve.
  // Putting the bytes back now would throw (unshift after 'end'), unheard, and take the process down.
  const onEnd = (): void => {
    stop();
    socket.destroy();
  };
  const stop = (): void => {
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', onEnd);
  };
  const done = (): void => {
    stop();
    socket.pause();
    socket.unshift(seen);
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onEnd);
}
