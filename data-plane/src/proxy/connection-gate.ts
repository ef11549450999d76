// Admits client connections to a listener within its cap and the process's file-descriptor budget,
// and closes those that send no request head in time. At the cap it does what nginx does with its
// "reusable" connections: it closes the one that has been serving no request for the longest (not
// sent a complete head since it was accepted, or idle since its last response) to admit the new
// client, so neither a flood of silent connections nor fd exhaustion locks new clients out. When every
// connection is serving a request, the new one is closed at once (counted) instead of letting accept
// fail with EMFILE.
import type { H2ServerSession } from '../protocols/http2/h2-server-session.js';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { downstreamConnectionBudget } from './fd-budget.js';
import { LinkedQueue, QueueNode } from './linked-queue.js';
import { rawAnswer } from './raw-answer.js';

/** Why the proxy closed a client connection itself (the `reason` label of the metric). */
export type CloseReason = 'header_timeout' | 'reclaimed' | 'refused' | 'mtls_required';

/** Counts of connections the proxy closed, by listener and reason; kept across listener updates. */
export class ClosedConnections {
  private readonly counts = new Map<string, Record<CloseReason, number>>();

  add(listener: string, reason: CloseReason): void {
    let c = this.counts.get(listener);
    if (c === undefined) this.counts.set(listener, (c = { header_timeout: 0, reclaimed: 0, refused: 0, mtls_required: 0 }));
    c[reason]++;
  }

  get(listener: string, reason: CloseReason): number {
    return this.counts.get(listener)?.[reason] ?? 0;
  }

  values(): Array<{ listener: string; reason: CloseReason; value: number }> {
    return [...this.counts].flatMap(([listener, c]) => (Object.keys(c) as CloseReason[]).map((reason) => ({ listener, reason, value: c[reason] })));
  }
}

/** The client connections one process may hold over all its listeners (fd-budget.ts). */
export class ConnectionBudget {
  count = 0;
  readonly gates = new Set<ConnectionGate>();
  constructor(readonly cap: number) {}

  /** Frees a slot: from `preferred` first, else from any other listener. */
  reclaim(preferred: ConnectionGate): boolean {
    if (preferred.reclaimOne()) return true;
    for (const g of this.gates) if (g !== preferred && g.reclaimOne()) return true;
    return false;
  }
}

let processBudget: ConnectionBudget | undefined;

/** This process's budget, shared by every listener it opens. */
export function processConnectionBudget(): ConnectionBudget {
  return (processBudget ??= new ConnectionBudget(downstreamConnectionBudget()));
}

const FRESH = 0;
const BUSY = 1;
const IDLE = 2;
/** Closing after a header timeout: not reclaimable, counted until its socket closes. */
const EXPIRED = 3;
const RELEASED = 4;

const CONN = Symbol('sluice.connection');
type Tagged = Socket & { [CONN]?: Conn; _parent?: Tagged };

class Conn {
  state = FRESH;
  inflight = 0;
  /** The socket node:http serves (the raw one, or its TLSSocket), once handed over. */
  http1: Socket | undefined = undefined;
  h2: H2ServerSession | undefined = undefined;
  /** Its places in the gate's two queues, made once (see linked-queue.ts). */
  readonly freshNode = new QueueNode<Conn>(this);
  readonly reusableNode = new QueueNode<Conn>(this);
  constructor(readonly raw: Socket, readonly deadline: number) {}
}

export interface ConnectionGateOptions {
  readonly listener: string;
  readonly maxConnections: number;
  readonly headerTimeoutMs: number;
  readonly budget?: ConnectionBudget;
  readonly closed?: ClosedConnections;
}

export class ConnectionGate {
  /** Open connections of this listener (those closing after a header timeout included). */
  count = 0;
  readonly cap: number;
  private readonly budget: ConnectionBudget;
  private readonly closed: ClosedConnections;
  /** Connections with no complete request head yet, in accept order (so in deadline order). */
  private readonly fresh = new LinkedQueue<Conn>();
  /**
   * Connections serving no request (fresh ones and idle keep-alive ones), longest first: a client
   * that just connected or was just answered is the last to lose its connection.
   */
  private readonly reusable = new LinkedQueue<Conn>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onRawClose: (this: Tagged) => void;

  constructor(private readonly options: ConnectionGateOptions) {
    this.budget = options.budget ?? processConnectionBudget();
    this.closed = options.closed ?? new ClosedConnections();
    this.cap = Math.max(1, Math.min(options.maxConnections, this.budget.cap));
    this.budget.gates.add(this);
    const gate = this;
    this.onRawClose = function () {
      const conn = this[CONN];
      if (conn !== undefined) gate.release(conn);
    };
  }

  /** A TCP connection was accepted: true to serve it; false when it was closed (no room). */
  admit(raw: Socket): boolean {
    const budget = this.budget;
    if ((this.count >= this.cap && !this.reclaimOne()) || (budget.count >= budget.cap && !budget.reclaim(this))) {
      raw.destroy();
      this.closed.add(this.options.listener, 'refused');
      return false;
    }
    const conn = new Conn(raw, performance.now() + this.options.headerTimeoutMs);
    (raw as Tagged)[CONN] = conn;
    this.count++;
    budget.count++;
    this.fresh.push(conn.freshNode);
    this.reusable.push(conn.reusableNode);
    raw.once('close', this.onRawClose);
    if (this.timer === undefined) this.arm(this.options.headerTimeoutMs);
    return true;
  }

  /** The TLS handshake of `socket` finished: requests arrive on it from now on. */
  secured(socket: Socket): void {
    const conn = (socket as Tagged)._parent?.[CONN];
    if (conn !== undefined) (socket as Tagged)[CONN] = conn;
  }

  /** `socket` (raw or TLS) was handed to node:http: a header timeout answers 408 on it. */
  http1(socket: Socket): void {
    const conn = (socket as Tagged)[CONN];
    if (conn !== undefined) conn.http1 = socket;
  }

  /** `socket` carries an HTTP/2 session: its streams are its requests. */
  h2Session(socket: Socket, session: H2ServerSession): void {
    const conn = (socket as Tagged)[CONN];
    if (conn === undefined) return;
    conn.h2 = session;
    session.on('stream', (stream: { once(e: 'close', f: () => void): void }) => {
      this.started(conn);
      stream.once('close', () => this.ended(conn));
    });
  }

  /** A request (or upgrade) began on `socket`; returns what `ended` takes when it is over. */
  busy(socket: Socket): unknown {
    const conn = (socket as Tagged)[CONN];
    if (conn !== undefined) this.started(conn);
    return conn;
  }

  /** The request `busy` returned `token` for is over. */
  done(token: unknown): void {
    if (token !== undefined) this.ended(token as Conn);
  }

  /** Closes one connection that serves no request; false when there is none. */
  reclaimOne(): boolean {
    const conn = this.reusable.first();
    if (conn === undefined) return false;
    this.release(conn);
    conn.h2?.destroy();
    conn.http1?.destroy();
    conn.raw.destroy();
    this.closed.add(this.options.listener, 'reclaimed');
    return true;
  }

  /** The listener closed: stop the timer and leave the process budget. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.budget.gates.delete(this);
  }

  private started(conn: Conn): void {
    if (conn.state === FRESH) this.fresh.remove(conn.freshNode);
    else if (conn.state !== IDLE && conn.state !== BUSY) return;
    this.reusable.remove(conn.reusableNode);
    conn.state = BUSY;
    conn.inflight++;
  }

  private ended(conn: Conn): void {
    if (conn.state !== BUSY) return;
    if (--conn.inflight > 0) return;
    conn.state = IDLE;
    this.reusable.push(conn.reusableNode);
  }

  private release(conn: Conn): void {
    if (conn.state === RELEASED) return;
    this.fresh.remove(conn.freshNode);
    this.reusable.remove(conn.reusableNode);
    conn.state = RELEASED;
    this.count--;
    this.budget.count--;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = performance.now();
    // Oldest first; expire() takes each out of `fresh`.
    for (let conn = this.fresh.first(); conn !== undefined; conn = this.fresh.first()) {
      if (conn.deadline > now) {
        this.arm(conn.deadline - now);
        return;
      }
      this.expire(conn);
    }
  };

  /** No complete request head in time: 408 on an HTTP/1.1 connection (as node:http does), else close. */
  private expire(conn: Conn): void {
    this.fresh.remove(conn.freshNode);
    this.reusable.remove(conn.reusableNode);
    conn.state = EXPIRED;
    this.closed.add(this.options.listener, 'header_timeout');
    const front = conn.http1;
    if (front !== undefined && conn.h2 === undefined && front.writable && !front.writableEnded) {
      front.write(rawAnswer(408, 'request-timeout'));
      front.destroySoon();
    } else {
      conn.h2?.destroy();
      conn.raw.destroy();
    }
  }
}
