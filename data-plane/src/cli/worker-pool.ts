// The primary side of `sluice proxy --workers N`: forks the workers (Node cluster: they share the
// listening sockets), hands each the same configuration, and resolves an update only when every
// worker applied it. An update carries only what changed since the configuration a worker was sent
// last (worker-delta.ts); a worker that starts gets the whole current one. A worker that dies is
// replaced and given the current configuration.
// A reload (SIGHUP, POST /reload) replaces the workers one at a time with freshly loaded code while the
// primary keeps the listening sockets open: a new worker applies the configuration and listens before
// an old one drains.
import cluster, { type Worker } from 'node:cluster';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { ClusterReport } from '../metrics/cluster-report.js';
import type { MetricsJson } from '../metrics/metrics-text.js';
import type { SeriesTraffic } from '../metrics/traffic-deltas.js';
import { TokenLeaseAuthority } from '../filters/token-lease-authority.js';
import type { UserFilterModule } from './load-proxy-config.js';
import { AggregatorRegistry } from 'prom-client';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './proxy-options.js';
import { WorkerUpdates, type WorkerUpdate } from './worker-updates.js';
import { isFromWorker, type FromWorker, type ToWorker, type WorkerHealthOverride } from './worker-messages.js';
import { clusterEndpointKey } from '../upstream/peer.js';
import type { EjectionReport, EjectionVerdict } from '../upstream/health/ejection.js';
import type { WorkloadIdentity } from '../identity/workload-identity.js';
import type { Diagnostic, DiagnosticResult } from '../diagnostics/diagnostic.js';
import type { WorkerDiagnostics } from '../diagnostics/diagnose-proxy.js';
import { discardDiagnosticFile } from '../diagnostics/run-diagnostic.js';

const RESTART_SPACING_MS = 1000;
/** A draining worker still alive this long after its drain timeout is killed. */
const EXIT_MARGIN_MS = 5000;
/** A worker forked by a reload must have applied the configuration within this. */
const START_TIMEOUT_MS = 30_000;

/** The primary's side of outlier ejections (SharedEjections): hears each worker's, and knows the current ones. */
export interface EjectionHub {
  report(report: EjectionReport): void;
  states(): EjectionVerdict[];
}

type Pending = { readonly waiting: Set<Worker>; readonly errors: FieldError[]; readonly done: (errors: FieldError[]) => void; readonly replies: FromWorker[]; readonly repliers: Worker[] };

/** What a reload did: each old worker's pid and the pid of the one that replaced it. */
export interface ReloadResult {
  readonly replaced: { readonly old: number; readonly new: number }[];
}

export class WorkerPool implements WorkerDiagnostics {
  private readonly workers = new Set<Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly updates = new WorkerUpdates();
  private stopping = false;
  private readonly greeted = new Set<Worker>();
  private onAllHello: (() => void) | undefined;
  private onEarlyExit: ((code: number | null) => void) | undefined;
  /** Replacement forks are spaced by this much, so a worker that keeps crashing cannot spin. */
  private lastForkMs = 0;
  /** Every worker has applied the current configuration. */
  ready = false;
  /** The active health checks' verdicts by `cluster\0address:port`: a newly forked worker gets them all. */
  private readonly health = new Map<string, WorkerHealthOverride>();
  /** The workload certificate: a newly forked worker gets it. */
  private identity: WorkloadIdentity | undefined;
  /** The TLS session ticket keys: a newly forked worker gets them before its configuration. */
  private ticketKeys: Buffer | undefined;
  /** Workers draining (shutdown or reload): not replaced when they exit. */
  private readonly retiring = new Set<Worker>();
  /** Workers a reload forked that do not serve yet: not replaced if they die. */
  private readonly starting = new Set<Worker>();
  /** Called with a worker's first apply once it said hello (reload waits on it). */
  private readonly helloWaiters = new Map<Worker, (first: Promise<Pending>) => void>();
  /** Counters and histograms of workers that exited after a drain, so /metrics survives a reload. */
  private retired: MetricsJson[] = [];
  private readonly finalMetrics = new Map<Worker, MetricsJson>();
  /** What retired workers served after their last 'traffic' answer: the next traffic() includes it. */
  private retiredTraffic: SeriesTraffic[][] = [];
  private reloading: Promise<ReloadResult> | undefined;
  private reloadNext: Promise<ReloadResult> | undefined;

  /**
   * `env`: extra environment of every worker (the access-log settings). `tokens`: the buckets of every rate limit, which the workers borrow tokens from (leased-tokens.ts);
   * mesh-scoped ones it borrows from the control plane in turn.
   */
  constructor(private readonly size: number, private readonly env: Readonly<Record<string, string>> = {}, private readonly drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS, private readonly ejections?: EjectionHub, private readonly tokens = new TokenLeaseAuthority()) {}

  /** Forks the workers; resolves when each is listening for messages, rejects if one dies first. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Both disarm once the start is settled: a replacement worker that dies before its hello later
      // (still before any configuration) must be forked again, not stop every replacement for good.
      this.onAllHello = () => {
        this.onAllHello = this.onEarlyExit = undefined;
        resolve();
      };
      this.onEarlyExit = (code) => {
        this.onAllHello = this.onEarlyExit = undefined;
        this.stopping = true;
        reject(new Error(`a proxy worker exited with ${code} before it started`));
      };
      for (let i = 0; i < this.size; i++) this.fork();
    });
  }

  /**
   * Sends the configuration to every serving worker (a retiring worker must not open listeners
   * again); resolves with the union of their errors. `set` must be validated: workers apply it as it is.
   */
  apply(set: ResourceSet, userFilters: readonly UserFilterModule[], baseDir: string): Promise<FieldError[]> {
    const update: WorkerUpdate = { id: this.nextId++, set, userFilters, baseDir };
    this.updates.begin(update);
    const byBase = new Map<ResourceSet | undefined, ToWorker>();
    return this.ask(this.serving(), update.id, (w) => this.updates.messageFor(w, update, update.id, byBase)).then((p) => {
      this.updates.finish(update, p.errors.length === 0);
      if (p.errors.length === 0) this.ready = true;
      return p.errors;
    });
  }

  /** Every worker's metrics registry as JSON, for the primary to sum (metrics-text.ts). */
  async metrics(): Promise<MetricsJson[]> {
    const p = await this.broadcast({ sluice: 'metrics', id: this.nextId++ });
    // A worker that exited meanwhile is counted in `retired` already.
    const live = p.replies.flatMap((m, i) => (m.sluice === 'metrics' && this.workers.has(p.repliers[i]!) ? [m.metrics] : []));
    if (this.retired.length > 4) this.retired = [await AggregatorRegistry.aggregate(this.retired).getMetricsAsJSON()] as MetricsJson[];
    return [...live, ...this.retired];
  }

  /** What every worker served since the previous call, retired workers' last share included (traffic-deltas.ts). */
  async traffic(): Promise<SeriesTraffic[][]> {
    const p = await this.broadcast({ sluice: 'traffic', id: this.nextId++ });
    const retired = this.retiredTraffic;
    this.retiredTraffic = [];
    return [...p.replies.flatMap((m) => (m.sluice === 'traffic' ? [m.traffic] : [])), ...retired];
  }

  /**
   * Passes active health check verdicts to every worker and keeps them for workers forked
   * later. Not answered: a worker applies them at once, configuration or not (MeshProxy keeps them).
   */
  setHealth(overrides: readonly WorkerHealthOverride[]): void {
    for (const o of overrides) {
      const key = clusterEndpointKey(o.cluster, o.address, o.port);
      if (o.health === 0) this.health.delete(key);
      else this.health.set(key, o);
    }
    const message: ToWorker = { sluice: 'health', id: 0, overrides };
    for (const w of this.serving()) this.post(w, message);
  }

  /**
   * Passes ejection verdicts (SharedEjections) to every worker, the one that reported them included.
   * Not answered; a worker forked later gets the hub's current ones after its configuration.
   */
  setEjections(verdicts: readonly EjectionVerdict[]): void {
    const message: ToWorker = { sluice: 'ejections', id: 0, verdicts };
    for (const w of this.serving()) this.post(w, message);
  }

  /**
   * Hands the workload certificate and key to every worker, and keeps them for workers forked later
   * (undefined: the certificate expired). Not answered; `certificateSerials` asks what each holds.
   */
  setIdentity(identity: WorkloadIdentity | undefined): void {
    this.identity = identity;
    for (const w of this.serving()) this.post(w, { sluice: 'identity', id: 0, identity });
  }

  /**
   * Hands the TLS session ticket keys to every serving worker, and keeps them for workers forked later:
   * all of them seal and open tickets alike, so a session resumes on any worker (ticket-keys.ts).
   */
  setTicketKeys(keys: Buffer): void {
    this.ticketKeys = keys;
    for (const w of this.serving()) this.post(w, { sluice: 'ticket-keys', id: 0, keys });
  }

  /** The serial of the workload certificate each serving worker holds (GET /certs). */
  async certificateSerials(): Promise<Array<string | undefined>> {
    const id = this.nextId++;
    const p = await this.ask(this.serving(), id, () => ({ sluice: 'certs', id }));
    return p.replies.flatMap((m) => (m.sluice === 'certs' ? [m.serial] : []));
  }

  /** Every worker's /clusters report, for the primary to sum (cluster-report.ts). */
  async clusters(): Promise<ClusterReport[][]> {
    const p = await this.broadcast({ sluice: 'clusters', id: this.nextId++ });
    return p.replies.flatMap((m) => (m.sluice === 'clusters' ? [m.clusters] : []));
  }

  /**
   * GET /debug/*: runs `diagnostic` in the serving worker `index` (0-based, in the order they
   * started). A worker silent for `timeoutMs` gets 504; should it answer later, its file is removed.
   */
  async diagnose(index: number, diagnostic: Diagnostic, timeoutMs: number): Promise<DiagnosticResult> {
    const serving = this.serving().filter((w) => !this.starting.has(w));
    const worker = serving[index];
    if (worker === undefined) return { ok: false, status: 404, error: `no worker ${index}: ${serving.length} workers serve, ?worker=0 to ${serving.length - 1}` };
    const id = this.nextId++;
    const name = `worker ${index} (pid ${worker.process.pid})`;
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const answered = await Promise.race([this.request(worker, { sluice: 'diagnose', id, diagnostic }), silent]);
    clearTimeout(timer);
    if (answered === undefined) {
      this.pending.delete(id);
      return { ok: false, status: 504, error: `${name} did not answer within ${timeoutMs / 1000} s` };
    }
    const reply = answered.replies[0];
    if (reply?.sluice !== 'diagnosed') return { ok: false, status: 502, error: `${name} exited before it answered` };
    return reply.result;
  }

  /**
   * Drains every worker for up to `drainTimeoutMs` (0: close now) and resolves when all have exited.
   * Called again during a drain with a shorter time (SIGINT after SIGTERM), it cuts the drain short.
   */
  async stop(drainTimeoutMs = this.drainTimeoutMs): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.workers].map((w) => this.retire(w, drainTimeoutMs).exited));
  }

  /**
   * Replaces every worker, one at a time: fork one (Node's cluster re-runs the script, so the code is
   * read from disk again), wait until it has applied the current configuration and its listeners are
   * listening, then drain one old worker (its listeners stop accepting at once, so the primary hands
   * it no more connections; its connections finish for up to the drain timeout in the background).
   * The primary holds the listening sockets throughout: no connection is refused. A reload asked for
   * while one runs is coalesced into one more pass after it. Rejects, leaving the old worker serving,
   * if a new worker dies or refuses the configuration.
   */
  reload(): Promise<ReloadResult> {
    if (this.stopping) return Promise.reject(new Error('the proxy is shutting down'));
    if (this.reloadNext !== undefined) return this.reloadNext;
    if (this.reloading === undefined) return this.runReload();
    // Its code may be newer than what the running pass forked: one more pass, shared by every caller.
    const next = this.reloading.catch(() => undefined).then(() => {
      this.reloadNext = undefined;
      return this.runReload();
    });
    this.reloadNext = next;
    return next;
  }

  private runReload(): Promise<ReloadResult> {
    const run = this.replaceAll().finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    this.reloading = run;
    return run;
  }

  private async replaceAll(): Promise<ReloadResult> {
    const replaced: { old: number; new: number }[] = [];
    const serving = [...this.workers].filter((w) => !this.retiring.has(w) && !this.starting.has(w));
    for (const old of serving) {
      if (this.stopping) throw new Error('the proxy is shutting down');
      if (old.isDead()) continue;
      const fresh = await this.startReplacement();
      this.starting.delete(fresh);
      await this.retire(old, this.drainTimeoutMs).stopped;
      replaced.push({ old: old.process.pid!, new: fresh.process.pid! });
    }
    return { replaced };
  }

  /** Forks a worker and resolves once it has applied the current configuration (listeners listening). */
  private startReplacement(): Promise<Worker> {
    const worker = this.fork();
    this.starting.add(worker);
    return new Promise<Worker>((resolve, reject) => {
      const fail = (message: string): void => {
        clearTimeout(timer);
        worker.off('exit', onExit);
        if (!worker.isDead()) this.retire(worker, 0);
        reject(new Error(message));
      };
      const onExit = (code: number | null): void => fail(`a new worker exited with ${code} before it served`);
      const timer = setTimeout(() => fail(`a new worker did not apply the configuration within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      worker.once('exit', onExit);
      this.helloWaiters.set(worker, (first) => {
        void first.then((p) => {
          if (worker.isDead()) return;
          if (p.errors.length > 0) return fail(`a new worker refused the configuration: ${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
          clearTimeout(timer);
          worker.off('exit', onExit);
          resolve(worker);
        });
      });
    });
  }

  /**
   * Drains one worker: `stopped` resolves once its listeners stopped accepting, `exited` when it has
   * exited (killed if it outlives the drain by EXIT_MARGIN_MS). It is not replaced.
   */
  private retire(worker: Worker, timeoutMs: number): { stopped: Promise<void>; exited: Promise<void> } {
    this.retiring.add(worker);
    if (worker.isDead()) return { stopped: Promise.resolve(), exited: Promise.resolve() };
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + EXIT_MARGIN_MS);
    kill.unref();
    void exited.then(() => clearTimeout(kill));
    if (!this.greeted.has(worker)) {
      // Not listening for messages yet (nor serving): a signal does.
      worker.process.kill('SIGTERM');
      return { stopped: exited, exited };
    }
    const stopped = this.request(worker, { sluice: 'drain', id: this.nextId++, timeoutMs }).then(() => undefined);
    return { stopped, exited };
  }

  /** One message to one worker, answered like a broadcast of one. */
  private request(worker: Worker, message: ToWorker): Promise<Pending> {
    return this.ask([worker], message.id, () => message);
  }

  /** Workers that take configurations: greeted and not retiring. A retiring worker keeps the one it has. */
  private serving(): Worker[] {
    return [...this.greeted].filter((w) => !this.retiring.has(w));
  }

  /**
   * Sends to every greeted worker and collects the replies: metrics and /clusters ask retiring ones
   * too, so their traffic still counts until they exit.
   */
  private broadcast(message: ToWorker): Promise<Pending> {
    return this.ask([...this.greeted], message.id, () => message);
  }

  /**
   * Sends each of `to` its message (`messageFor`, all with this `id`) and resolves once every one
   * answered, exited or lost its channel. A worker whose channel is already closed will not answer:
   * it is not waited for.
   */
  private ask(to: readonly Worker[], id: number, messageFor: (worker: Worker) => ToWorker): Promise<Pending> {
    return new Promise((resolve) => {
      const pending: Pending = { waiting: new Set(to.filter((w) => w.isConnected())), errors: [], replies: [], repliers: [], done: () => resolve(pending) };
      if (pending.waiting.size === 0) return resolve(pending);
      this.pending.set(id, pending);
      for (const w of pending.waiting) this.post(w, messageFor(w));
    });
  }

  private fork(): Worker {
    this.lastForkMs = Date.now();
    // Structured clone on the channel (both ends follow the primary's setting): updates carry bytes.
    cluster.setupPrimary({ serialization: 'advanced' });
    const worker = cluster.fork({ ...this.env, SLUICE_PROXY_WORKER: '1', SLUICE_PROXY_WORKERS: String(this.size), SLUICE_DRAIN_TIMEOUT_MS: String(this.drainTimeoutMs) });
    this.workers.add(worker);
    worker.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.sluice === 'hello') {
        this.greeted.add(worker);
        // Before the configuration: its HTTPS listeners open with the proxy's ticket keys.
        if (this.ticketKeys !== undefined) this.post(worker, { sluice: 'ticket-keys', id: 0, keys: this.ticketKeys } satisfies ToWorker);
        // The last good configuration (all of it: the worker has none), then each update still on
        // its way to the others, as a change of the one before. No configuration yet: asking nobody
        // answers at once, with no errors.
        const current = this.updates.current;
        const id = this.nextId++;
        const first = current === undefined ? this.ask([], id, () => ({ sluice: 'metrics', id })) : this.ask([worker], id, (w) => this.updates.messageFor(w, current, id));
        for (const update of this.updates.inFlight.values()) {
          this.pending.get(update.id)?.waiting.add(worker);
          this.post(worker, this.updates.messageFor(worker, update, update.id));
        }
        if (this.identity !== undefined) this.post(worker, { sluice: 'identity', id: 0, identity: this.identity } satisfies ToWorker);
        if (this.health.size > 0) this.post(worker, { sluice: 'health', id: 0, overrides: [...this.health.values()] } satisfies ToWorker);
        const ejected = this.ejections?.states() ?? [];
        if (ejected.length > 0) this.post(worker, { sluice: 'ejections', id: 0, verdicts: ejected } satisfies ToWorker);
        this.helloWaiters.get(worker)?.(first);
        this.helloWaiters.delete(worker);
        if (this.greeted.size === this.size) this.onAllHello?.();
        return;
      }
      if (m.sluice === 'ejection') {
        this.ejections?.report(m.report);
        return;
      }
      if (m.sluice === 'tokens') {
        const grant = this.tokens.grant(m.request);
        // A mesh-scoped grant comes from the control plane: answered when it is there (within the
        // authority's timeout, shorter than the worker's).
        if (grant instanceof Promise) void grant.then((g) => this.post(worker, { sluice: 'tokens', id: m.id, grant: g } satisfies ToWorker));
        else this.post(worker, { sluice: 'tokens', id: m.id, grant } satisfies ToWorker);
        return;
      }
      if (m.sluice === 'retired') {
        this.finalMetrics.set(worker, m.metrics);
        if (m.traffic !== undefined && m.traffic.length > 0) this.retiredTraffic.push(m.traffic);
        return;
      }
      const pending = this.pending.get(m.id);
      if (pending === undefined) {
        // A diagnostic that came after its request gave up (504): nobody will stream its file.
        if (m.sluice === 'diagnosed' && m.result.ok) void discardDiagnosticFile(m.result.file);
        return;
      }
      this.reply(pending, worker, m);
      if (pending.waiting.size === 0) {
        this.pending.delete(m.id);
        pending.done(pending.errors);
      }
    });
    worker.once('exit', (code: number | null) => {
      if (!this.greeted.has(worker) && this.updates.current === undefined && !this.starting.has(worker)) this.onEarlyExit?.(code);
      this.workers.delete(worker);
      this.greeted.delete(worker);
      this.updates.forget(worker);
      this.helloWaiters.delete(worker);
      // Gauges (open connections) describe the present: only counters and histograms carry over.
      const final = this.finalMetrics.get(worker);
      this.finalMetrics.delete(worker);
      if (final !== undefined) this.retired.push(final.filter((metric) => String(metric.type) !== 'gauge'));
      const replace = !this.retiring.has(worker) && !this.starting.has(worker);
      this.retiring.delete(worker);
      this.starting.delete(worker);
      this.unanswered(worker);
      if (this.stopping || !replace) return;
      const wait = Math.max(0, this.lastForkMs + RESTART_SPACING_MS - Date.now());
      setTimeout(() => {
        if (!this.stopping) this.fork();
      }, wait).unref();
    });
    return worker;
  }

  /**
   * Sends to a worker without ever throwing or emitting: a worker between 'disconnect' and 'exit' (on
   * its way out) has a closed channel, and a send without a callback would emit ERR_IPC_CHANNEL_CLOSED
   * as an unhandled 'error' in the primary. A failed send counts as no answer from that worker.
   */
  private post(worker: Worker, message: ToWorker): void {
    if (!worker.isConnected()) {
      this.unanswered(worker);
      return;
    }
    worker.send(message, undefined, (err) => {
      if (err) this.unanswered(worker);
    });
  }

  /** `worker` will answer nothing more (exited, or its channel closed): requests stop waiting for it. */
  private unanswered(worker: Worker): void {
    for (const [id, p] of this.pending) {
      if (p.waiting.delete(worker) && p.waiting.size === 0) {
        this.pending.delete(id);
        p.done(p.errors);
      }
    }
  }

  private reply(pending: Pending, worker: Worker, m: FromWorker): void {
    pending.waiting.delete(worker);
    if (m.sluice === 'applied' && !m.ok) {
      pending.errors.push(...m.errors.map((e) => ({ path: e.path, message: `${e.message} (worker ${worker.id})` })));
      this.updates.forget(worker);
    }
    if (m.sluice === 'metrics' || m.sluice === 'clusters' || m.sluice === 'traffic' || m.sluice === 'certs' || m.sluice === 'diagnosed') {
      pending.replies.push(m);
      pending.repliers.push(worker);
    }
  }
}
