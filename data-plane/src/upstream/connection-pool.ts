// Keep-alive connections to one endpoint (address:port): a LIFO stack of idle connections, so the
// warmest socket is reused first and the coldest ones age out by the idle timeout.
import { connect } from 'node:net';
import { isIP } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { overloadedError, type ConnectionGate } from './circuit-breaker.js';
import { Http1Connection, type ConnectionOwner } from './http1-connection.js';
import { takeReadBuffer, type ReadBuffer } from './read-buffer-pool.js';
import type { PoolStats } from './upstream-client.js';

export interface PoolOptions {
  /** Idle connections kept; more are closed when released. */
  readonly maxIdle: number;
  /** An idle connection older than this is closed. */
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** After this many requests a connection is closed instead of reused (0: no limit). */
  readonly maxRequestsPerConnection: number;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = Object.freeze({
  // As many as a cluster's default maxConnections: an HTTP/2 client connection carries up to 128
  // requests at once, each on its own upstream connection; with fewer kept, every burst of streams
  // closes the connections over the cap and the next one opens them again (connect and close cost
  // more than the request). Idle ones still age out by idleTimeoutMs.
  maxIdle: 1024,
  idleTimeoutMs: 60_000,
  connectTimeoutMs: 5_000,
  maxRequestsPerConnection: 0,
});

export class ConnectionPool implements ConnectionOwner {
  private readonly idle: Http1Connection[] = [];
  /**
   * Connections lent out (each marks itself `lent`): a count, not a Set, since it changes on every
   * request (see proxy/linked-queue.ts for what a Set costs there).
   */
  private active = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: PoolStats = { created: 0, reused: 0, connectFailures: 0, idle: 0, active: 0 };
  /** Circuit breakers: counts every connection from connect to close (set once, before use). */
  connectionGate: ConnectionGate | undefined;

  /** `tls`: connect over TLS (SNI defaults to the host when it is a name, not an address). */
  constructor(readonly host: string, readonly port: number, readonly options: PoolOptions = DEFAULT_POOL_OPTIONS, private readonly tls?: ConnectionOptions) {}

  /** An idle connection right away, or a promise of a new one. Rejects with a ProxyError. */
  acquire(): Http1Connection | Promise<Http1Connection> {
    const now = performance.now();
    for (;;) {
      const conn = this.idle.pop();
      if (conn === undefined) break;
      if (conn.closed) continue;
      if (now - conn.idleSinceMs > this.options.idleTimeoutMs) {
        conn.destroy();
        continue;
      }
      this.lend(conn);
      this.stats.reused++;
      return conn;
    }
    const gate = this.connectionGate;
    if (gate !== undefined && !gate.tryConnect()) return Promise.reject(overloadedError(`endpoint ${this.host}:${this.port}`, 'max_connections'));
    return this.connect();
  }

  readyNow(): boolean {
    return this.idle.length > 0;
  }

  /** Called by a connection whose exchange finished cleanly. */
  release(conn: Http1Connection): void {
    this.giveBack(conn);
    const max = this.options.maxRequestsPerConnection;
    if (this.closed || this.idle.length >= this.options.maxIdle || (max > 0 && conn.reuseCount + 1 >= max)) {
      conn.destroy();
      return;
    }
    conn.idleSinceMs = performance.now();
    this.idle.push(conn);
    if (this.sweepTimer === undefined) this.scheduleSweep();
  }

  /** Called by a connection that closed. */
  forget(conn: Http1Connection): void {
    // Called once per connection (Http1Connection.destroy is idempotent).
    this.connectionGate?.connectionClosed();
    this.giveBack(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  getStats(): PoolStats {
    return { ...this.stats, idle: this.idle.length, active: this.active };
  }

  /** Closes idle connections now and active ones when their exchange ends (a removed endpoint). */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
  }

  private connect(): Promise<Http1Connection> {
    return new Promise((resolve, reject) => {
      let conn: Http1Connection | undefined;
      let current: ReadBuffer;
      const target = {
        host: this.host,
        port: this.port,
        // Reads land in pooled buffers; net calls `buffer` for the first read and after each callback.
        onread: {
          buffer: () => (current = takeReadBuffer()).buf,
          callback: (n: number) => conn?.onRead(current, n) ?? false,
        },
      };
      const tls = this.tls;
      const socket =
        tls === undefined
          ? connect(target)
          : connectTls({ ...tls, ...target, ALPNProtocols: ['http/1.1'], ...(tls.servername === undefined && isIP(this.host) === 0 ? { servername: this.host } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        this.connectionGate?.connectionClosed();
        this.stats.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectTimeout, `connect to ${this.host}:${this.port} timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        this.connectionGate?.connectionClosed();
        this.stats.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectFailure, `connect to ${this.host}:${this.port} failed: ${err.code ?? err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        this.stats.created++;
        conn = new Http1Connection(socket, this);
        this.lend(conn);
        resolve(conn);
      });
    });
  }

  private lend(conn: Http1Connection): void {
    conn.lent = true;
    this.active++;
  }

  private giveBack(conn: Http1Connection): void {
    if (!conn.lent) return;
    conn.lent = false;
    this.active--;
  }

  private scheduleSweep(): void {
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      const now = performance.now();
      // Take them all out first: destroy() calls forget(), which edits this.idle.
      for (const conn of this.idle.splice(0)) {
        if (now - conn.idleSinceMs > this.options.idleTimeoutMs) conn.destroy();
        else this.idle.push(conn);
      }
      if (this.idle.length > 0) this.scheduleSweep();
    }, Math.max(50, this.options.idleTimeoutMs / 2));
    this.sweepTimer.unref();
  }
}
