// The proxy's own reader of HTTP/1.1 client connections, in front of node:http's. Each request whose
// whole head arrived and is plain (simple-request-head.ts: no body, no upgrade, no expectation) is
// served here: a lean request object and an H1Response written straight onto the socket, without
// node:http's IncomingMessage, ServerResponse and their streams (a third of the proxy's user-space
// time per request in CPU profiles). The first request that is not plain (a body, a WebSocket
// handshake, a head split over reads, anything malformed) hands the connection, with the bytes read,
// to node:http for the rest of its life, between two requests: node:http's parsing, limits, timeouts
// and answers then apply exactly as before. Pipelined requests are served in order, one at a time.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { H1Request } from './h1-request.js';
import { H1Response, type ResponseOwner } from './h1-response.js';
import { parseSimpleRequestHead, type SimpleRequestHead } from './simple-request-head.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** node:http's margin over keepAliveTimeout before it closes an idle connection (fewer resets for clients that reuse it just in time). */
const KEEP_ALIVE_MARGIN_MS = 1000;
/** Pipelined bytes held while a response is in flight before the socket stops being read. */
const MAX_PIPELINED_BYTES = 64 * 1024;

const READER = Symbol('sluice.h1Reader');

export interface Http1Options {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  /** Serves one request; the same handler node:http's 'request' event gets. */
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Puts the reader in front of `server`'s node:http connection handling: its 'connection' listener,
 * or over TLS (node:https) its 'secureConnection' one. Call before anything wraps those listeners.
 */
export function attachHttp1(server: Server, options: Http1Options, tls: boolean): void {
  const event = tls ? 'secureConnection' : 'connection';
  const nodeListeners = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  server.on(event, (socket: Socket) => {
    (socket as Reading)[READER] = new H1Reader(socket, server, options, () => {
      for (const l of nodeListeners) l.call(server, socket);
    });
  });
}

/** Closes `socket` if the reader holds it idle between requests (a drain's grace ran out). */
export function closeIfIdleHttp1(socket: Socket): void {
  (socket as Reading)[READER]?.closeIfIdle();
}

type Reading = Socket & { [READER]?: H1Reader; _httpMessage?: unknown };

class H1Reader implements ResponseOwner {
  /** Bytes read and not parsed yet (pipelined behind the response in flight). */
  private buffered: Buffer | undefined;
  private current: H1Response | undefined;
  private idleTimer = false;
  private handedOver = false;
  private readonly onData = (chunk: Buffer): void => {
    if (this.current !== undefined) {
      this.buffered = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
      if (this.buffered.length > MAX_PIPELINED_BYTES) this.socket.pause();
      return;
    }
    if (this.buffered !== undefined) {
      chunk = Buffer.concat([this.buffered, chunk]);
      this.buffered = undefined;
    }
    this.serve(chunk);
  };
  // The client half-closed: as node:http does (no half-open HTTP), the connection ends; a response in
  // flight is abandoned when the socket closes.
  private readonly onEnd = (): void => {
    this.socket.end();
  };
  private readonly onClose = (): void => {
    const res = this.current;
    this.current = undefined;
    res?.abort();
  };
  private readonly onTimeout = (): void => {
    this.socket.destroy();
  };

  constructor(
    private readonly socket: Socket,
    private readonly server: Server,
    private readonly options: Http1Options,
    private readonly handOverToNode: () => void,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', ignore);
    socket.on('timeout', this.onTimeout);
  }

  closeIfIdle(): void {
    if (!this.handedOver && this.current === undefined) this.socket.destroy();
  }

  finished(res: H1Response): void {
    if (this.current !== res) return;
    this.current = undefined;
    const socket = this.socket as Reading;
    socket._httpMessage = null;
    if (res.last) {
      socket.destroySoon();
      return;
    }
    const rest = this.buffered;
    if (rest !== undefined) {
      this.buffered = undefined;
      if (socket.isPaused()) socket.resume();
      this.serve(rest);
      if (this.current !== undefined || this.handedOver) return;
    }
    const keepAliveMs = this.server.keepAliveTimeout;
    if (keepAliveMs > 0 && !socket.destroyed) {
      socket.setTimeout(keepAliveMs + KEEP_ALIVE_MARGIN_MS);
      this.idleTimer = true;
    }
  }

  /** Serves the requests in `buf`, in order, until one is in flight or node:http takes over. */
  private serve(buf: Buffer): void {
    const { maxHeaderBytes, maxHeaderCount } = this.options;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      const head = end < 0 || end + 4 > maxHeaderBytes ? undefined : parseSimpleRequestHead(buf.toString('latin1', 0, end), maxHeaderCount);
      if (head === undefined) return this.handOver(buf);
      if (this.idleTimer) {
        this.idleTimer = false;
        this.socket.setTimeout(0);
      }
      const next = end + 4;
      this.start(head);
      if (next === buf.length) return;
      buf = buf.subarray(next);
      if (this.current !== undefined) {
        this.buffered = buf;
        return;
      }
      if (this.socket.destroyed) return;
    }
  }

  private start(head: SimpleRequestHead): void {
    const socket = this.socket as Reading;
    const res = new H1Response(socket, this, head.method, head.minor === 1, head.keepAlive, this.server.keepAliveTimeout);
    this.current = res;
    socket._httpMessage = res;
    this.options.onRequest(new H1Request(head, socket) as unknown as IncomingMessage, res as unknown as ServerResponse);
  }

  /** node:http reads the rest of the connection, starting with `buf`. */
  private handOver(buf: Buffer): void {
    const socket = this.socket;
    this.handedOver = true;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('close', this.onClose);
    socket.removeListener('error', ignore);
    socket.removeListener('timeout', this.onTimeout);
    if (this.idleTimer) socket.setTimeout(0);
    socket.pause();
    socket.unshift(buf);
    this.handOverToNode();
    socket.resume();
  }
}

function ignore(): void {}
