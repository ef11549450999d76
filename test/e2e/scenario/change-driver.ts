// Drives configuration changes through the admin API at a fixed rate (10 a second by default): route
// edits, weight shifts and endpoint changes in rotation, with one-off changes (a certificate rotation,
// a listener added and removed, a route removed) at set points of the run (unless `oneOffs: false`).
// Every change is one API call, counted and timed; a refused one is a failure of the scenario.
import { certificate, extraListener, hostRoute, HOSTS, poolEndpoints, webRoute, type Resource, type UpstreamPorts } from './scenario-resources.js';
import type { Leaf } from './test-certificates.js';

export interface ChangeCounts {
  sent: number;
  ok: number;
  failed: number;
  readonly byKind: Record<string, number>;
  readonly failures: string[];
  /** The store revision of the last accepted change. */
  lastRevision: number;
}

export interface OneOffTimes {
  listenerAddedAt?: number;
  certRotatedAt?: number;
  routeRemovedAt?: number;
  listenerRemovedAt?: number;
  endpointRemovedAt?: number;
  endpointAddedAt?: number;
}

export interface ChangeDriverOptions {
  /** The replica to write to (asked before every change). */
  readonly api: () => string;
  readonly token: string;
  readonly ports: UpstreamPorts;
  readonly rotatedLeaf: Leaf;
  readonly perSecond: number;
  readonly durationMs: number;
  /** The one-off changes at ONE_OFF_AT (default true); without them only the rotation runs. */
  readonly oneOffs?: boolean;
  /** Adjusts every resource before it is sent (the chaos run adds retry policies to routes). */
  readonly decorate?: (resource: Resource) => Resource;
  /** Called with every answer (or error): for latency per phase. */
  readonly onAnswer?: (answer: ChangeAnswer) => void;
}

export interface ChangeAnswer {
  readonly kind: string;
  readonly sentAt: number;
  readonly ms: number;
  readonly ok: boolean;
  /** Why it was refused: the status and the start of the body, or the error. */
  readonly problem?: string;
}

/** When, as a share of the run, each one-off change happens. */
export const ONE_OFF_AT = { addListener: 0.15, removeEndpoint: 0.3, rotateCertificate: 0.35, removeRoute: 0.5, addEndpoint: 0.6, removeListener: 0.75 } as const;

export class ChangeDriver {
  readonly counts: ChangeCounts = { sent: 0, ok: 0, failed: 0, byKind: {}, failures: [], lastRevision: 0 };
  readonly times: OneOffTimes = {};
  private readonly done = new Set<string>();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChangeDriverOptions) {
    if (options.oneOffs === false) for (const name of Object.keys(ONE_OFF_AT)) this.done.add(name);
  }

  /** Resolves once the change being sent now (if any) is answered: later ones go to the API asked then. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  /** Sends changes until the duration is over; resolves after the last answer. */
  async run(): Promise<void> {
    const { perSecond, durationMs } = this.options;
    const start = Date.now();
    const gapMs = 1000 / perSecond;
    for (let i = 0; ; i++) {
      const due = start + i * gapMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const elapsed = Date.now() - start;
      if (elapsed >= durationMs) return;
      const [kind, send] = this.next(i, elapsed / durationMs);
      this.inFlight = this.count(kind, send);
      await this.inFlight;
    }
  }

  private next(i: number, share: number): [string, () => Promise<Response>] {
    const o = this.options;
    const once = (name: keyof typeof ONE_OFF_AT): boolean => share >= ONE_OFF_AT[name] && !this.done.has(name) && (this.done.add(name), true);
    if (once('addListener')) return ['listener added', () => this.stamp('listenerAddedAt', () => this.put(extraListener()))];
    if (once('rotateCertificate')) return ['certificate rotated', () => this.stamp('certRotatedAt', () => this.put(certificate(o.rotatedLeaf)))];
    if (once('removeRoute')) return ['route removed', () => this.stamp('routeRemovedAt', () => this.call('DELETE', '/v1/routes/doomed'))];
    if (once('removeListener')) return ['listener removed', () => this.stamp('listenerRemovedAt', () => this.call('DELETE', '/v1/listeners/extra'))];
    // The second pool endpoint leaves (drained: requests on it finish) and later comes back.
    const withSecond = share < ONE_OFF_AT.removeEndpoint || share >= ONE_OFF_AT.addEndpoint;
    if (once('removeEndpoint')) return ['endpoint removed', () => this.stamp('endpointRemovedAt', () => this.put(poolEndpoints(o.ports, 5, false)))];
    if (once('addEndpoint')) return ['endpoint added', () => this.stamp('endpointAddedAt', () => this.put(poolEndpoints(o.ports, 5, true)))];
    switch (i % 10) {
      case 0: case 4: case 8:
        return ['route edit', () => this.put(webRoute(i, 50))];
      case 2: case 6:
        return ['weight shift', () => this.put(webRoute(i, 10 + ((i * 7) % 81)))];
      case 1: case 5:
        return ['route edit', () => this.put(hostRoute('pool', HOSTS.pool, 'pool', i))];
      case 3:
        return ['route edit', () => this.put(hostRoute('grpc', HOSTS.grpc, 'grpc', i))];
      case 7:
        return ['route edit', () => this.put(hostRoute('ws', HOSTS.ws, 'ws', i))];
      default:
        // Endpoint weight changes: the endpoint stays, its pooled connections must too.
        return ['endpoint change', () => this.put(poolEndpoints(o.ports, 1 + (i % 9), withSecond))];
    }
  }

  private async count(kind: string, send: () => Promise<Response>): Promise<void> {
    this.counts.sent++;
    this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1;
    const sentAt = Date.now();
    const answered = (problem?: string): void => this.options.onAnswer?.({ kind, sentAt, ms: Date.now() - sentAt, ok: problem === undefined, problem });
    try {
      const res = await send();
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) {
        this.counts.ok++;
        this.counts.lastRevision = Math.max(this.counts.lastRevision, Number(res.headers.get('sluice-revision') ?? 0));
        answered();
      } else {
        this.failed(`${kind}: ${res.status} ${text.slice(0, 300)}`);
        answered(`${res.status} ${text.slice(0, 300)}`);
      }
    } catch (err) {
      this.failed(`${kind}: ${(err as Error).message}`);
      answered((err as Error).message);
    }
  }

  private failed(message: string): void {
    this.counts.failed++;
    if (this.counts.failures.length < 10) this.counts.failures.push(message);
  }

  private async stamp(field: keyof OneOffTimes, send: () => Promise<Response>): Promise<Response> {
    // Stamped when sent: a proxy may apply it before this replica answers (another replica streams it).
    this.times[field] = Date.now();
    return await send();
  }

  private put(plain: Resource): Promise<Response> {
    const resource = this.options.decorate?.(plain) ?? plain;
    // The API takes a kind's singular or plural name: the singular is the kind itself.
    return this.call('PUT', `/v1/${resource.kind.toLowerCase()}/${resource.name}`, resource);
  }

  call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.options.api()}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.options.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }
}
