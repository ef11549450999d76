// Clusters with protocol AUTO: TLS offering ALPN h2 and http/1.1. One probe handshake per endpoint
// learns what it speaks; from then on an HTTP/2 session pool or an HTTP/1.1 connection pool serves
// it. A failed probe is retried on the next request.
import { isIP } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { ConnectionGate } from './circuit-breaker.js';
import { ConnectionPool, type PoolOptions } from './connection-pool.js';
import type { PoolStats } from './upstream-client.js';
import { Http2SessionPool } from './http2-session-pool.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-client.js';

export class AlpnPool implements UpstreamPool {
  private chosen: UpstreamPool | undefined;
  private probing: Promise<UpstreamPool> | undefined;
  private closed = false;
  private readonly own: PoolStats = { created: 0, reused: 0, connectFailures: 0, idle: 0, active: 0 };

  constructor(readonly host: string, readonly port: number, private readonly options: PoolOptions & { maxConcurrentStreams: number }, private readonly tls: ConnectionOptions) {}

  /** The protocol the endpoint chose ('h2' or 'http/1.1'), once known. */
  protocol: string | undefined;
  private gate: ConnectionGate | undefined;

  /** Circuit breakers: handed to the pool the probe chooses (the probe itself is not counted). */
  get connectionGate(): ConnectionGate | undefined {
    return this.gate;
  }

  set connectionGate(gate: ConnectionGate | undefined) {
    this.gate = gate;
    if (this.chosen !== undefined) this.chosen.connectionGate = gate;
  }

  readyNow(): boolean {
    return this.chosen?.readyNow?.() ?? false;
  }

  get stats(): PoolStats {
    return this.chosen?.stats ?? this.own;
  }

  acquire(): UpstreamConnection | Promise<UpstreamConnection> {
    if (this.chosen !== undefined) return this.chosen.acquire();
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    return this.probing.then((pool) => pool.acquire());
  }

  getStats(): PoolStats {
    return this.chosen?.getStats() ?? { ...this.own };
  }

  close(): void {
    this.closed = true;
    this.chosen?.close();
  }

  private probe(): Promise<UpstreamPool> {
    const sni = this.tls.servername === undefined && isIP(this.host) === 0 ? { servername: this.host } : {};
    return new Promise((resolve, reject) => {
      const socket = connect({ ...this.tls, ...sni, host: this.host, port: this.port, ALPNProtocols: ['h2', 'http/1.1'] });
      const timer = setTimeout(() => {
        socket.destroy();
        this.own.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectTimeout, `TLS connect to ${this.host}:${this.port} timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.own.connectFailures++;
        reject(new ProxyError(ProxyErrorCode.ConnectFailure, `TLS connect to ${this.host}:${this.port} failed: ${err.code ?? err.message}`, { cause: err }));
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        this.protocol = socket.alpnProtocol || 'http/1.1';
        socket.end();
        const pool: UpstreamPool = this.protocol === 'h2' ? new Http2SessionPool(this.host, this.port, { ...this.options, tls: this.tls }) : new ConnectionPool(this.host, this.port, this.options, this.tls);
        if (this.closed) pool.close();
        pool.connectionGate = this.gate;
        this.chosen = pool;
        resolve(pool);
      });
    });
  }
}
