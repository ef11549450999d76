// The primary side of `sluice proxy --workers N`: forks the workers (Node cluster: they share the
// listening sockets), hands each the same configuration, and resolves an update only when every
// worker applied it. A worker that dies is replaced and given the current configuration.
import cluster, { type Worker } from 'node:cluster';
import type { FieldError } from '../../../control-plane/src/model/field-error.js';
import type { ResourceSet } from '../../../control-plane/src/model/resource-set.js';
import type { ClusterReport } from '../metrics/cluster-report.js';
import type { MetricsJson } from '../metrics/metrics-text.js';
import type { UserFilterModule } from './load-proxy-config.js';
import { resourcesToJson } from './resources-json.js';
import { isFromWorker, type FromWorker, type ToWorker } from './worker-messages.js';

const RESTART_SPACING_MS = 1000;

type Pending = { readonly waiting: Set<Worker>; readonly errors: FieldError[]; readonly done: (errors: FieldError[]) => void; readonly replies: FromWorker[] };

export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private current: ToWorker | undefined;
  private stopping = false;
  private readonly greeted = new Set<Worker>();
  private onAllHello: (() => void) | undefined;
  private onEarlyExit: ((code: number | null) => void) | undefined;
  /** Replacement forks are spaced by this much, so a worker that keeps crashing cannot spin. */
  private lastForkMs = 0;
  /** Every worker has applied the current configuration. */
  ready = false;

  /** `env`: extra environment of every worker (the access-log settings). */
  constructor(private readonly size: number, private readonly env: Readonly<Record<string, string>> = {}) {}

  /** Forks the workers; resolves when each is listening for messages, rejects if one dies first. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onAllHello = resolve;
      this.onEarlyExit = (code) => {
        this.stopping = true;
        reject(new Error(`a proxy worker exited with ${code} before it started`));
      };
      for (let i = 0; i < this.size; i++) this.fork();
    });
  }

  /** Sends the configuration to every worker; resolves with the union of their errors. */
  apply(set: ResourceSet, userFilters: readonly UserFilterModule[], baseDir: string): Promise<FieldError[]> {
    const message: ToWorker = { sluice: 'apply', id: this.nextId++, resources: resourcesToJson(set), userFilters, baseDir };
    return this.broadcast(message).then((p) => {
      if (p.errors.length === 0) {
        this.current = message;
        this.ready = true;
      }
      return p.errors;
    });
  }

  /** Every worker's metrics registry as JSON, for the primary to sum (metrics-text.ts). */
  async metrics(): Promise<MetricsJson[]> {
    const p = await this.broadcast({ sluice: 'metrics', id: this.nextId++ });
    return p.replies.flatMap((m) => (m.sluice === 'metrics' ? [m.metrics] : []));
  }

  /** Every worker's /clusters report, for the primary to sum (cluster-report.ts). */
  async clusters(): Promise<ClusterReport[][]> {
    const p = await this.broadcast({ sluice: 'clusters', id: this.nextId++ });
    return p.replies.flatMap((m) => (m.sluice === 'clusters' ? [m.clusters] : []));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  private broadcast(message: ToWorker): Promise<Pending> {
    return new Promise((resolve) => {
      const pending: Pending = { waiting: new Set(this.greeted), errors: [], replies: [], done: () => resolve(pending) };
      if (pending.waiting.size === 0) return resolve(pending);
      this.pending.set(message.id, pending);
      for (const w of pending.waiting) w.send(message);
    });
  }

  private fork(): void {
    this.lastForkMs = Date.now();
    const worker = cluster.fork({ ...this.env, SLUICE_PROXY_WORKER: '1', SLUICE_PROXY_WORKERS: String(this.size) });
    this.workers.add(worker);
    worker.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.sluice === 'hello') {
        this.greeted.add(worker);
        if (this.current !== undefined) worker.send(this.current);
        if (this.greeted.size === this.size) this.onAllHello?.();
        return;
      }
      const pending = this.pending.get(m.id);
      if (pending === undefined) return;
      this.reply(pending, worker, m);
      if (pending.waiting.size === 0) {
        this.pending.delete(m.id);
        pending.done(pending.errors);
      }
    });
    worker.once('exit', (code: number | null) => {
      if (!this.greeted.has(worker) && this.current === undefined) this.onEarlyExit?.(code);
      this.workers.delete(worker);
      this.greeted.delete(worker);
      for (const [id, p] of this.pending) {
        if (p.waiting.delete(worker) && p.waiting.size === 0) {
          this.pending.delete(id);
          p.done(p.errors);
        }
      }
      if (this.stopping) return;
      const wait = Math.max(0, this.lastForkMs + RESTART_SPACING_MS - Date.now());
      setTimeout(() => {
        if (!this.stopping) this.fork();
      }, wait).unref();
    });
  }

  private reply(pending: Pending, worker: Worker, m: FromWorker): void {
    pending.waiting.delete(worker);
    if (m.sluice === 'applied' && !m.ok) pending.errors.push(...m.errors.map((e) => ({ path: e.path, message: `${e.message} (worker ${worker.id})` })));
    if (m.sluice === 'metrics' || m.sluice === 'clusters') pending.replies.push(m);
  }
}
