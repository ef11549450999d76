// Opens, keeps and drains the proxy's listening sockets as Listener resources come and go: a new
// listener opens, a removed one stops accepting and drains, an unchanged one is not touched.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FieldError } from '../../../control-plane/src/model/field-error.js';
import { toJsonString } from '@bufbuild/protobuf';
import { ListenerProtocol, ListenerSchema, type Listener } from '../../../proto/gen/sluice/v1/listener_pb.js';
import type { HttpProxy } from '../proxy/http-proxy.js';
import { createProxyServer, type ProxyServerOptions } from '../proxy/proxy-server.js';
import type { ListenerContext } from '../proxy/listener-context.js';

const DEFAULT_DRAIN_MS = 5_000;

interface Open {
  readonly key: string;
  readonly server: Server;
  readonly drainMs: number;
}

export class ListenerManager {
  private readonly open = new Map<string, Open>();

  constructor(private readonly engine: HttpProxy<any>, private readonly serverOptions: ProxyServerOptions = {}, private readonly warn: (message: string) => void = () => {}) {}

  /** Makes the open listeners those of `listeners`; returns bind errors with their field path. */
  async apply(listeners: ReadonlyMap<string, Listener>): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const wanted = new Map<string, Listener>();
    for (const [name, spec] of listeners) {
      if (spec.protocol === ListenerProtocol.HTTPS) {
        this.warn(`listener ${name}: HTTPS termination is not part of this proxy build yet; listener skipped`);
        continue;
      }
      wanted.set(name, spec);
    }
    for (const [name, open] of this.open) {
      const spec = wanted.get(name);
      if (spec === undefined || keyOf(spec) !== open.key) {
        this.open.delete(name);
        await drain(open);
      }
    }
    for (const [name, spec] of wanted) {
      if (this.open.has(name)) continue;
      try {
        const server = await this.listen(spec);
        this.open.set(name, { key: keyOf(spec), server, drainMs: spec.limits?.drainTimeoutMs || DEFAULT_DRAIN_MS });
      } catch (err) {
        errors.push({ path: `listeners[${name}].port`, message: `cannot listen on ${spec.address}:${spec.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    }
    return errors;
  }

  /** The bound address of a listener (its real port when the resource says 0). */
  address(name: string): AddressInfo | undefined {
    return (this.open.get(name)?.server.address() as AddressInfo | null) ?? undefined;
  }

  names(): string[] {
    return [...this.open.keys()];
  }

  /** Stops accepting everywhere and drains. */
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(drain));
  }

  private listen(spec: Listener): Promise<Server> {
    const l = spec.limits;
    const ctx: Partial<ListenerContext> = {
      name: spec.name,
      scheme: 'http',
      maxHeaderBytes: l?.maxHeaderBytes || undefined,
      maxRequestBodyBytes: Number(l?.maxRequestBodyBytes ?? 0) || undefined,
      headerTimeoutMs: l?.headerTimeoutMs || undefined,
      idleTimeoutMs: l?.idleTimeoutMs || undefined,
      requestTimeoutMs: l?.requestTimeoutMs || undefined,
    };
    const server = createProxyServer(this.engine, { ...this.serverOptions, ...ctx });
    if (l?.maxConnections) server.maxConnections = l.maxConnections;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, spec.address || '0.0.0.0', () => {
        server.removeListener('error', reject);
        resolve(server);
      });
    });
  }
}

function keyOf(spec: Listener): string {
  // Everything but the name: TLS settings apply to new handshakes elsewhere, but a listener is
  // rebound only when what it binds or its limits change.
  return toJsonString(ListenerSchema, { ...spec, name: '' });
}

/** Stop accepting, close idle keep-alive connections now, and the rest after the drain time. */
async function drain(open: Open): Promise<void> {
  const closed = new Promise<void>((resolve) => open.server.close(() => resolve()));
  open.server.closeIdleConnections();
  const timer = setTimeout(() => open.server.closeAllConnections(), open.drainMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
