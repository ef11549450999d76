// HTTP/2 sessions to one endpoint (clusters with protocol H2C or H2): requests are streams
// multiplexed on a session up to a stream limit (the cluster's maxConcurrentStreams, capped by the
// server's SETTINGS); another session opens when all are full. A session that receives GOAWAY takes
// no new streams and closes when its last one ends.
import { connect, type ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { overloadedError, type ConnectionGate } from './circuit-breaker.js';
import type { PoolOptions } from './connection-pool.js';
import type { PoolStats } from './upstream-client.js';
import { Http2Stream, type Http2StreamOwner } from './http2-stream.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-client.js';
import { BASE_SETTINGS, MAX_SESSION_MEMORY_MIB, widenConnectionWindow } from '../protocols/http2/h2-settings.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';

export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

export interface Http2PoolOptions extends PoolOptions {
  /** Streams per session before another session opens. */
  readonly maxConcurrentStreams: number;
  /** Set for H2 (TLS, ALPN h2): SNI, CA, client certificate. Unset: h2c prior knowledge. */
  readonly tls?: ConnectionOptions;
}

class Entry implements Http2StreamOwner {
  active = 0;
  started = 0;
  draining = false;
  readonly scheme: 'http' | 'https';
  constructor(readonly session: ClientHttp2Session, private readonly pool: Http2SessionPool, tls: boolean) {
    this.scheme = tls ? 'https' : 'http';
  }
  streamClosed(): void {
    this.active--;
    this.pool.streamEnded(this);
  }
}

export class Http2SessionPool implements UpstreamPool {
  private readonly entries: Entry[] = [];
  private connecting: Promise<Entry> | undefined;
  private closed = false;
  readonly stats: PoolStats = { created: 0, reused: 0, connectFailures: 0, idle: 0, active: 0 };
  /** Circuit breakers: counts every session from connect to close (set once, before use). */
  connectionGate: ConnectionGate | undefined;

  constructor(readonly host: string, readonly port: number, readonly options: Http2PoolOptions) {}

  readyNow(): boolean {
    return this.available() !== undefined;
  }

  acquire(): UpstreamConnection | Promise<UpstreamConnection> {
    const ready = this.available();
    if (ready !== undefined) return this.take(ready);
    // Requests that arrive while a session is being opened share it, up to its limit.
    if (this.connecting === undefined) {
      const gate = this.connectionGate;
      if (gate !== undefined && !gate.tryConnect()) return Promise.reject(overloadedError(`endpoint ${this.host}:${this.port}`, 'max_connections'));
      this.connecting = this.connect().finally(() => (this.connecting = undefined));
    }
    return this.connecting.then((e) => this.take(this.available() ?? e));
  }

  getStats(): PoolStats {
    let active = 0;
    let idle = 0;
    for (const e of this.entries) {
      active += e.active;
      if (e.active === 0) idle++;
    }
    return { ...this.stats, idle, active };
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries) if (e.active === 0) e.session.close();
  }

  /** Called by a session's entry when one of its streams closed. */
  streamEnded(e: Entry): void {
    if (e.active === 0 && (this.closed || e.draining)) e.session.close();
  }

  private available(): Entry | undefined {
    for (const e of this.entries) {
      if (e.draining || e.session.closed || e.session.destroyed) continue;
      const remote = e.session.remoteSettings.maxConcurrentStreams ?? Infinity;
      if (e.active < Math.min(this.options.maxConcurrentStreams, remote)) return e;
    }
    return undefined;
  }

  private take(e: Entry): UpstreamConnection {
    const stream = new Http2Stream(e, e.started);
    if (e.started > 0) this.stats.reused++;
    e.started++;
    e.active++;
    return stream;
  }

  private connect(): Promise<Entry> {
    const tls = this.options.tls;
    const authority = `${tls ? 'https' : 'http'}://${formatHostPort(this.host, this.port)}`;
    return new Promise((resolve, reject) => {
      const sni = tls !== undefined && tls.servername === undefined && isIP(this.host) === 0 ? { servername: this.host } : {};
      const h2 = { settings: BASE_SETTINGS, maxSessionMemory: MAX_SESSION_MEMORY_MIB };
      const session = connect(authority, tls ? { ...tls, ...sni, ...h2, ALPNProtocols: ['h2'] } : h2);
      const timer = setTimeout(() => {
        session.destroy();
        this.connectionGate?.connectionClosed();
        this.stats.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectTimeout, `HTTP/2 connect to ${this.host}:${this.port} timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        this.connectionGate?.connectionClosed();
        this.stats.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectFailure, `HTTP/2 connect to ${this.host}:${this.port} failed: ${err.code ?? err.message}`, { cause: err }));
      };
      session.once('error', onError);
      session.once('connect', () => {
        clearTimeout(timer);
        session.removeListener('error', onError);
        session.on('error', () => {});
        widenConnectionWindow(session);
        this.stats.created++;
        const e = new Entry(session, this, tls !== undefined);
        this.entries.push(e);
        session.on('goaway', () => (e.draining = true));
        session.on('close', () => {
          this.connectionGate?.connectionClosed();
          const i = this.entries.indexOf(e);
          if (i >= 0) this.entries.splice(i, 1);
        });
        // An idle session past the idle timeout is closed; an idle one does not hold the process.
        session.setTimeout(this.options.idleTimeoutMs, () => {
          if (e.active === 0) session.close();
        });
        resolve(e);
      });
    });
  }
}
