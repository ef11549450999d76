// HTTP/2 sessions to one endpoint (clusters with protocol H2C or H2): requests are streams
// multiplexed on a session up to a stream limit (the cluster's maxConcurrentStreams, capped by the
// server's SETTINGS); another session opens when all are full. A session that receives GOAWAY takes
// no new streams and closes when its last one ends. Sessions run on Sluice's own HTTP/2 codec
// (http2-client-session.ts).
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { overloadedError, type ConnectionGate } from './circuit-breaker.js';
import type { PoolOptions } from './connection-pool.js';
import type { PoolStats } from './upstream-client.js';
import { Http2Stream, type StreamSlots } from './http2-stream.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-client.js';
import { Http2ClientSession, type SessionOwner } from './http2-client-session.js';

export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

export interface Http2PoolOptions extends PoolOptions {
  /** Streams per session before another session opens. */
  readonly maxConcurrentStreams: number;
  /** Set for H2 (TLS, ALPN h2): SNI, CA, client certificate. Unset: h2c prior knowledge. */
  readonly tls?: ConnectionOptions;
}

interface Waiter {
  resolve(session: Http2ClientSession): void;
  reject(error: ProxyError): void;
  timer: NodeJS.Timeout | undefined;
}

function settle(w: Waiter, session: Http2ClientSession | undefined, error: ProxyError | undefined): void {
  clearTimeout(w.timer);
  if (session !== undefined) w.resolve(session);
  else w.reject(error!);
}

export class Http2SessionPool implements UpstreamPool, SessionOwner, StreamSlots {
  private readonly sessions: Http2ClientSession[] = [];
  private connecting: Promise<Http2ClientSession> | undefined;
  /** Exchanges waiting for a stream slot, first come first served. */
  private readonly waiting: Waiter[] = [];
  /** The connect in progress: its settle callbacks, called when its session is ready or fails. */
  private pending: { session: Http2ClientSession; resolve: (s: Http2ClientSession) => void; reject: (e: ProxyError) => void; timer: NodeJS.Timeout } | undefined;
  private closed = false;
  readonly stats: PoolStats = { created: 0, reused: 0, connectFailures: 0, idle: 0, active: 0 };
  /** Circuit breakers: counts every session from connect to close (set once, before use). */
  connectionGate: ConnectionGate | undefined;
  readonly scheme: 'http' | 'https';

  constructor(readonly host: string, readonly port: number, readonly options: Http2PoolOptions) {
    this.scheme = options.tls ? 'https' : 'http';
  }

  readyNow(): boolean {
    return this.available() !== undefined;
  }

  acquire(): UpstreamConnection | Promise<UpstreamConnection> {
    const slot = this.slot();
    return slot instanceof Promise ? slot.then((s) => this.take(s)) : this.take(slot);
  }

  /**
   * A session with a stream slot reserved: a free one now, or the first to free up or open. Waiters
   * never pile onto a session past its limit (the server would refuse the extra streams); while they
   * wait, one more session opens at a time. A wait is bounded by connectTimeoutMs.
   */
  slot(): Http2ClientSession | Promise<Http2ClientSession> {
    if (this.closed) return Promise.reject(this.closedError());
    const ready = this.available();
    if (ready !== undefined) {
      ready.reserve();
      return ready;
    }
    // As Envoy's pools: a request no open session has room for starts a new one (one at a time).
    if (this.connecting === undefined) {
      const gate = this.connectionGate;
      if (gate !== undefined && !gate.tryConnect()) return Promise.reject(overloadedError(`endpoint ${this.host}:${this.port}`, 'max_connections'));
      this.openSession();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ProxyError(ProxyErrorCode.ConnectTimeout, `no HTTP/2 stream to ${this.host}:${this.port} became free within ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      this.waiting.push(waiter);
    });
  }

  private openSession(): void {
    this.connecting = this.connect();
    this.connecting.then(
      (session) => {
        this.connecting = undefined;
        // A new session that took no waiter (a server allowing 0 streams) does not open the next one:
        // waiters wait for a slot (or their timeout) instead of a connection loop.
        const before = this.waiting.length;
        this.dispatch(false);
        if (this.waiting.length < before || session.activeStreams > 0) this.dispatch(true);
      },
      (err: ProxyError) => {
        this.connecting = undefined;
        // The endpoint could not be reached: everyone waiting for a new session hears why; those that
        // can wait for a slot of an open session keep waiting, with no immediate reconnect.
        if (this.sessions.length === 0) for (const w of this.waiting.splice(0)) settle(w, undefined, err);
        else this.dispatch(false);
      },
    );
  }

  /** Hands free slots to waiters in arrival order; with `openMore`, opens another session if some still wait. */
  private dispatch(openMore = true): void {
    while (this.waiting.length > 0) {
      const session = this.available();
      if (session === undefined) break;
      session.reserve();
      settle(this.waiting.shift()!, session, undefined);
    }
    if (openMore && this.waiting.length > 0 && this.connecting === undefined && !this.closed && (this.connectionGate === undefined || this.connectionGate.tryConnect())) this.openSession();
  }

  private closedError(): ProxyError {
    return new ProxyError(ProxyErrorCode.UpstreamReset, `the HTTP/2 pool to ${this.host}:${this.port} closed`, { retryable: true });
  }

  getStats(): PoolStats {
    let active = 0;
    let idle = 0;
    for (const s of this.sessions) {
      active += s.activeStreams;
      if (s.activeStreams === 0) idle++;
    }
    return { ...this.stats, idle, active };
  }

  /** Closes idle sessions now and busy ones when their streams end (they take no new ones). */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) settle(w, undefined, this.closedError());
    for (const s of [...this.sessions]) s.close();
  }

  // ---- SessionOwner ----

  sessionReady(session: Http2ClientSession): void {
    const p = this.pending;
    if (p === undefined || p.session !== session) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    this.stats.created++;
    this.sessions.push(session);
    // Closed while it connected: it serves no one.
    if (this.closed) {
      session.close();
      p.reject(this.closedError());
      return;
    }
    // A session idle past the idle timeout is closed. The timer fires on every quiet period of the
    // socket, busy or not: a listener of its own, since setTimeout's callback is heard only once.
    session.socket.setTimeout(this.options.idleTimeoutMs);
    session.socket.on('timeout', () => {
      if (session.activeStreams === 0) session.close();
    });
    p.resolve(session);
  }

  streamClosed(): void {
    if (this.waiting.length > 0) this.dispatch();
  }

  settingsChanged(): void {
    if (this.waiting.length > 0) this.dispatch(false);
  }

  sessionDraining(): void {
    if (this.waiting.length > 0) this.dispatch();
  }

  sessionClosed(session: Http2ClientSession, error: ProxyError | undefined): void {
    const p = this.pending;
    if (p !== undefined && p.session === session) {
      this.pending = undefined;
      clearTimeout(p.timer);
      this.stats.connectFailures++;
      this.connectionGate?.connectionClosed();
      p.reject(new ProxyError(ProxyErrorCode.ConnectFailure, `HTTP/2 connect to ${this.host}:${this.port} failed: ${error?.message ?? 'closed before SETTINGS'}`, { cause: error }));
      return;
    }
    const i = this.sessions.indexOf(session);
    if (i < 0) return;
    this.sessions.splice(i, 1);
    this.connectionGate?.connectionClosed();
    if (this.waiting.length > 0) this.dispatch();
  }

  private available(): Http2ClientSession | undefined {
    for (const s of this.sessions) if (s.canOpen(this.options.maxConcurrentStreams)) return s;
    return undefined;
  }

  private take(session: Http2ClientSession): UpstreamConnection {
    const reuseCount = session.streamsTaken++;
    if (reuseCount > 0) this.stats.reused++;
    return new Http2Stream(session, this, this.scheme, reuseCount);
  }

  /**
   * TCP (and TLS with ALPN h2), then the preface; the session is ready when the server's SETTINGS
   * arrive. All of it within connectTimeoutMs: a server that accepts and never speaks HTTP/2 times out.
   */
  private connect(): Promise<Http2ClientSession> {
    return new Promise((resolve, reject) => {
      const tls = this.options.tls;
      let socket: Socket;
      let session: Http2ClientSession | undefined;
      let failed = false;
      const fail = (error: ProxyError): void => {
        if (failed) return;
        failed = true;
        // Unhooked first: the session's own close must not count this failure again.
        if (session !== undefined && this.pending?.session === session) this.pending = undefined;
        clearTimeout(timer);
        socket.destroy();
        this.connectionGate?.connectionClosed();
        this.stats.connectFailures++;
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(new ProxyError(ProxyErrorCode.ConnectTimeout, `HTTP/2 connect to ${this.host}:${this.port} timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        fail(new ProxyError(ProxyErrorCode.ConnectFailure, `HTTP/2 connect to ${this.host}:${this.port} failed: ${err.code ?? err.message}`, { cause: err }));
      };
      const start = (): void => {
        socket.removeListener('error', onError);
        if (tls !== undefined && (socket as import('node:tls').TLSSocket).alpnProtocol !== 'h2') {
          return fail(new ProxyError(ProxyErrorCode.ConnectFailure, `HTTP/2 connect to ${this.host}:${this.port} failed: the upstream did not choose h2 by ALPN`));
        }
        session = new Http2ClientSession(socket, this);
        this.pending = { session, resolve, reject, timer };
      };
      if (tls !== undefined) {
        const sni = tls.servername === undefined && isIP(this.host) === 0 ? { servername: this.host } : {};
        socket = connectTls({ ...tls, ...sni, host: this.host, port: this.port, ALPNProtocols: ['h2'] }, start);
      } else {
        socket = connectTcp({ host: this.host, port: this.port, noDelay: true }, start);
      }
      socket.once('error', onError);
    });
  }
}
