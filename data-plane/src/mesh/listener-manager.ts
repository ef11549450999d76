// Opens, keeps and drains the proxy's listening sockets as Listener resources come and go: a new
// listener opens, a removed one stops accepting and drains, an unchanged one is not touched. HTTP and
// HTTPS listeners serve the proxy engine; TCP listeners pipe connections to their cluster (tcp/).
import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Server as TlsServer, TlsOptions } from 'node:tls';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { Listener } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { specFingerprint } from '../snapshot/spec-fingerprint.js';
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import { bindFieldError } from './bind-error.js';
import { drainServer } from '../proxy/drain-server.js';
import type { HttpProxy } from '../proxy/http-proxy.js';
import { ALPN_PROTOCOLS, listenerTlsOptions, SniContexts } from '../tls/sni-contexts.js';
import { createProxyServer, type ProxyServerOptions } from '../proxy/proxy-server.js';
import { ClosedConnections } from '../proxy/connection-gate.js';
import type { ListenerContext } from '../proxy/listener-context.js';
import type { MeshInbound } from '../tls/mesh-inbound.js';
import { newTicketKeys } from '../tls/ticket-keys.js';
import { TlsHandshakes } from '../tls/tls-handshakes.js';
import { drainTcpServer } from '../tcp/tcp-drain.js';
import { createTcpProxyServer, DEFAULT_TCP_CONNECT_ATTEMPTS, DEFAULT_TCP_IDLE_TIMEOUT_MS, type TcpProxyContext } from '../tcp/tcp-proxy-server.js';
import { DEFAULT_LISTENER_LIMITS } from '../proxy/listener-context.js';
import { ListenerProtocol } from '../../../proto/src/model/enums.js';

const DEFAULT_DRAIN_MS = 5_000;

interface Open {
  readonly key: string;
  /** node:http's server for HTTP and HTTPS listeners; a plain net.Server for TCP ones (`tcp`). */
  readonly server: Server | NetServer;
  readonly tcp: boolean;
  readonly drainMs: number;
  /** HTTPS only: the contexts each connection's SNI chooses from, swapped on certificate updates. */
  readonly sni?: SniContexts;
}

export class ListenerManager {
  private readonly open = new Map<string, Open>();
  /** Removed (or rebound) listeners still finishing their connections. */
  private readonly draining = new Set<Open>();
  /**
   * Set by close(): a proxy shutting down (or a worker retiring) never opens a listener again, even
   * when a configuration update arrives during its drain; else it would accept connections again and
   * cut them when the process exits.
   */
  private closed = false;
  /** Connections the listeners' gates closed (header timeout, reclaimed, refused); kept across updates. */
  readonly closedConnections = new ClosedConnections();
  /** TLS handshakes on the HTTPS listeners, resumed or full; kept across updates. */
  readonly tlsHandshakes = new TlsHandshakes();
  /**
   * The session ticket keys of every HTTPS listener. Random until the primary sends the proxy's
   * (setTicketKeys): a process serving alone still resumes its own clients' sessions.
   */
  private ticketKeys = newTicketKeys();

  /**
   * `mesh`: the listener that is a sidecar's inbound one (plain HTTP or TCP), served per its
   * PeerAuthentication mode. `tcp`: what TCP listeners pipe to (without it a TCP listener fails to open).
   */
  constructor(
    private readonly engine: HttpProxy<any>,
    private readonly serverOptions: ProxyServerOptions = {},
    private readonly warn: (message: string) => void = () => {},
    private readonly mesh?: { readonly listener: string; readonly inbound: MeshInbound },
    private readonly tcp?: TcpProxyContext,
  ) {}

  /**
   * Makes the open listeners those of `listeners`; returns bind errors with their field path.
   * `certificates` resolves the Certificate resources HTTPS listeners name; a changed certificate or
   * TLS setting applies to new handshakes, and open connections are not touched.
   */
  async apply(listeners: ReadonlyMap<string, Listener>, certificates: (name: string) => Certificate | undefined = () => undefined): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (this.closed) return errors;
    const wanted = new Map<string, Listener>(listeners);
    for (const [name, open] of this.open) {
      const spec = wanted.get(name);
      if (spec === undefined || keyOf(spec) !== open.key) {
        this.open.delete(name);
        // Removed listeners drain in the background: the update is applied once they stop accepting.
        this.draining.add(open);
        void drain(open).finally(() => this.draining.delete(open));
      }
    }
    for (const [name, spec] of wanted) {
      const current = this.open.get(name);
      if (current !== undefined) {
        if (current.sni !== undefined && spec.tls !== undefined) this.updateTls(current, spec, certificates);
        continue;
      }
      try {
        let sni: SniContexts | undefined;
        if (spec.protocol === ListenerProtocol.HTTPS) {
          sni = new SniContexts(this.ticketKeys);
          sni.update(spec.tls!, certificates);
        }
        const tcp = spec.protocol === ListenerProtocol.TCP;
        const server = tcp ? await bind(this.tcpServer(spec), spec) : await this.listen(spec, sni, certificates);
        this.open.set(name, { key: keyOf(spec), server, tcp, drainMs: spec.limits?.drainTimeoutMs || DEFAULT_DRAIN_MS, ...(sni ? { sni } : {}) });
      } catch (err) {
        errors.push(bindFieldError(name, spec.address, spec.port, err));
      }
    }
    return errors;
  }

  /**
   * Rotates the session ticket keys of every open HTTPS listener (and of those opened later):
   * handshakes from now on seal and open tickets with `keys` (ticket-keys.ts).
   */
  setTicketKeys(keys: Buffer): void {
    this.ticketKeys = keys;
    for (const open of this.open.values()) {
      if (open.sni === undefined) continue;
      open.sni.setTicketKeys(keys);
      (open.server as unknown as TlsServer).setTicketKeys(keys);
    }
  }

  /** The bound address of a listener (its real port when the resource says 0). */
  address(name: string): AddressInfo | undefined {
    return (this.open.get(name)?.server.address() as AddressInfo | null) ?? undefined;
  }

  names(): string[] {
    return [...this.open.keys()];
  }

  /** Open client connections over every listener (the active-connections gauge reads it). */
  async connectionCount(): Promise<number> {
    const counts = await Promise.all([...this.open.values()].map((o) => new Promise<number>((resolve) => o.server.getConnections((err, n) => resolve(err ? 0 : n)))));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Stops accepting everywhere and drains: for each listener's own drain time, or for `timeoutMs`
   * (the proxy's --drain-timeout-ms at shutdown; 0 closes every connection now). A second call while
   * a drain runs shortens it (a fast stop during a graceful one).
   */
  async close(timeoutMs?: number): Promise<void> {
    this.closed = true;
    for (const o of this.open.values()) this.draining.add(o);
    this.open.clear();
    await Promise.all([...this.draining].map((o) => drain(o, timeoutMs).finally(() => this.draining.delete(o))));
  }

  private updateTls(open: Open, spec: Listener, certificates: (name: string) => Certificate | undefined): void {
    try {
      if (!open.sni!.update(spec.tls!, certificates)) return;
      // The default context (no SNI) and the client-certificate policy live on the server itself.
      (open.server as unknown as { setSecureContext(o: object): void }).setSecureContext(serverTlsOptions(spec, certificates, this.ticketKeys));
    } catch (err) {
      this.warn(`listener ${spec.name}: TLS update not applied: ${(err as Error).message}`);
    }
  }

  private listen(spec: Listener, sni?: SniContexts, certificates?: (name: string) => Certificate | undefined): Promise<Server> {
    const l = spec.limits;
    const ctx: Partial<ListenerContext> = {
      name: spec.name,
      scheme: sni !== undefined ? 'https' : 'http',
      // 0 (unset) keeps the default of DEFAULT_LISTENER_LIMITS.
      maxHeaderBytes: l?.maxHeaderBytes || undefined,
      maxHeaderCount: l?.maxHeaderCount || undefined,
      maxRequestBodyBytes: Number(l?.maxRequestBodyBytes ?? 0) || undefined,
      maxConnections: l?.maxConnections || undefined,
      headerTimeoutMs: l?.headerTimeoutMs || undefined,
      idleTimeoutMs: l?.idleTimeoutMs || undefined,
      requestTimeoutMs: l?.requestTimeoutMs || undefined,
      bodyIdleTimeoutMs: l?.bodyIdleTimeoutMs || undefined,
      bodyBufferBytes: l?.bodyBufferBytes || undefined,
    };
    const tls = sni === undefined ? undefined : { ...serverTlsOptions(spec, certificates!, this.ticketKeys), ALPNProtocols: ALPN_PROTOCOLS };
    // Each connection gets its SNI name's whole context (one certificate per key type), not SNICallback's.
    const server = createProxyServer(this.engine, {
      ...this.serverOptions,
      ...ctx,
      closedConnections: this.closedConnections,
      tlsHandshakes: this.tlsHandshakes,
      ...(tls ? { tls, selectContext: sni! } : {}),
      ...(tls === undefined && this.mesh?.listener === spec.name ? { meshInbound: this.mesh.inbound } : {}),
    });
    return bind(server, spec);
  }

  private tcpServer(spec: Listener): NetServer {
    if (this.tcp === undefined) throw new Error('this proxy does not serve TCP listeners');
    const tcp = spec.tcp!;
    return createTcpProxyServer({
      name: spec.name,
      cluster: tcp.cluster,
      idleTimeoutMs: tcp.idleTimeoutMs || DEFAULT_TCP_IDLE_TIMEOUT_MS,
      maxConnectAttempts: tcp.maxConnectAttempts || DEFAULT_TCP_CONNECT_ATTEMPTS,
      maxConnections: spec.limits?.maxConnections || DEFAULT_LISTENER_LIMITS.maxConnections,
      headerTimeoutMs: spec.limits?.headerTimeoutMs || DEFAULT_LISTENER_LIMITS.headerTimeoutMs,
      closed: this.closedConnections,
      ...(this.serverOptions.connectionBudget ? { budget: this.serverOptions.connectionBudget } : {}),
      ...(this.mesh?.listener === spec.name ? { meshInbound: this.mesh.inbound } : {}),
    }, this.tcp);
  }
}

/** Binds `server` to the listener's address and port. */
function bind<S extends NetServer>(server: S, spec: Listener): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue (capped by net.core.somaxconn): bursts of connections are not dropped to SYN retries.
    server.listen({ port: spec.port, host: spec.address || '0.0.0.0', backlog: 4096 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

function keyOf(spec: Listener): string {
  // Everything but the name and TLS settings: those apply to new handshakes (updateTls); a listener
  // is rebound only when what it binds, its protocol or its limits change.
  return specFingerprint({ ...spec, name: '', tls: undefined });
}

/** Server-wide TLS options: the default certificate (for clients without SNI), the policy and the ticket keys. */
function serverTlsOptions(spec: Listener, certificates: (name: string) => Certificate | undefined, ticketKeys: Buffer): TlsOptions {
  const tls = spec.tls!;
  const def = certificates(tls.defaultCertificate || tls.certificates[0]!);
  return { ...listenerTlsOptions(tls, certificates), ticketKeys, ...(def ? { cert: def.certChain, key: def.privateKey } : {}) };
}

/** Stop accepting and drain (drain-server.ts) for the listener's drain time, or `timeoutMs` when given. */
function drain(open: Open, timeoutMs?: number): Promise<void> {
  if (open.tcp) return drainTcpServer(open.server, timeoutMs ?? open.drainMs);
  return drainServer(open.server as Server, timeoutMs ?? open.drainMs);
}
