// Keeps one etcd lease alive, over a keepalive stream that moves to another member when its member
// dies or stops answering, and knows until when the lease is certainly alive on the server.
//
// Renewals go out three times per TTL, as etcd's Go client sends them. A stream that fails is opened
// again at once (the client's circuits send it to another member); a renewal unanswered for
// `answerTimeoutMs` counts as a failure of that member (its circuit opens) and is sent again on a new
// stream. etcd3's own Lease waits a whole TTL for an answer before it tries again, by when the lease may
// be gone; and its Election reports leadership it no longer has.
import { GRPCDeadlineExceededError, type Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse } from 'etcd3';
import type { Logger } from 'pino';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

export interface LeaseKeeperOptions {
  readonly client: Etcd3;
  readonly leaseId: string;
  readonly ttlSeconds: number;
  /** Local time the grant was sent: the lease lives on the server at least until then + TTL. */
  readonly grantedAt: number;
  /** How often to renew (default a third of the TTL, as etcd's Go client does). */
  readonly renewEveryMs?: number;
  /** How long a renewal may go unanswered before it is sent again on a new stream (default TTL/6, at most 1000 ms). */
  readonly answerTimeoutMs?: number;
  readonly log?: Logger;
  /** etcd answered that the lease is gone (it expired or was revoked). Called once; the keeper stops. */
  readonly onGone: () => void;
}

/** A floor for the tick, so a 1-second TTL does not spin. */
const MIN_TICK_MS = 50;

export class EtcdLeaseKeeper {
  /** Local time before which the lease is certainly alive on the server (last answered renewal's send time + TTL). */
  private validUntilMs: number;
  private readonly renewEveryMs: number;
  private readonly answerTimeoutMs: number;
  private stream: KeepAliveStream | undefined;
  private opening = false;
  private lastOpenAt = 0;
  /** Send time of the renewal not answered yet on the current stream. */
  private pendingSince: number | undefined;
  private lastSentAt = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: LeaseKeeperOptions) {
    const ttlMs = options.ttlSeconds * 1000;
    this.validUntilMs = options.grantedAt + ttlMs;
    this.renewEveryMs = options.renewEveryMs ?? ttlMs / 3;
    this.answerTimeoutMs = options.answerTimeoutMs ?? Math.min(1000, ttlMs / 6);
    this.timer = setInterval(() => this.tick(), Math.max(MIN_TICK_MS, Math.min(this.renewEveryMs, this.answerTimeoutMs) / 2));
    this.timer.unref();
    this.open();
  }

  get leaseId(): string {
    return this.options.leaseId;
  }

  get validUntil(): number {
    return this.validUntilMs;
  }

  /** Stops renewing (the lease then expires after its TTL, unless revoked). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.drop();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.stream !== undefined && this.pendingSince !== undefined && now - this.pendingSince >= this.answerTimeoutMs) {
      this.options.log?.debug({ leaseId: this.leaseId, waitedMs: now - this.pendingSince }, 'lease renewal unanswered; renewing through another member');
      this.drop(true);
    }
    if (this.stream === undefined) this.open();
    else if (this.pendingSince === undefined && now - this.lastSentAt >= this.renewEveryMs) this.send();
  }

  private open(): void {
    if (this.stopped || this.opening) return;
    this.opening = true;
    this.lastOpenAt = Date.now();
    this.options.client.leaseClient.leaseKeepAlive().then((stream) => {
      this.opening = false;
      if (this.stopped) return stream.end();
      this.stream = stream;
      stream.on('data', (res) => this.onAnswer(stream, res));
      stream.on('error', (err) => this.onBroken(stream, err));
      stream.on('end', () => this.onBroken(stream, undefined));
      this.send();
    }, (err: unknown) => {
      // No member took the stream (all failed just before); the next tick tries again.
      this.opening = false;
      this.options.log?.debug({ err, leaseId: this.leaseId }, 'cannot open a lease keepalive stream');
    });
  }

  private send(): void {
    const stream = this.stream;
    if (stream === undefined) return;
    this.pendingSince = this.lastSentAt = Date.now();
    try {
      stream.write({ ID: this.leaseId });
    } catch (err) {
      this.onBroken(stream, err);
    }
  }

  private onAnswer(stream: KeepAliveStream, res: ILeaseKeepAliveResponse): void {
    if (stream !== this.stream || this.stopped) return;
    const ttlSeconds = Number(res.TTL);
    if (ttlSeconds <= 0) {
      this.stop();
      this.options.onGone();
      return;
    }
    if (this.pendingSince !== undefined) this.validUntilMs = Math.max(this.validUntilMs, this.pendingSince + ttlSeconds * 1000);
    this.pendingSince = undefined;
  }

  private onBroken(stream: KeepAliveStream, err: unknown): void {
    if (stream !== this.stream || this.stopped) return;
    this.options.log?.debug({ err, leaseId: this.leaseId }, 'lease keepalive stream broke; renewing through another member');
    this.stream = undefined;
    this.pendingSince = undefined;
    // At once, unless streams keep breaking (every member down): then at the tick's pace.
    if (Date.now() - this.lastOpenAt >= MIN_TICK_MS) this.open();
  }

  /**
   * Ends the current stream. `unanswered`: its member is reported as failed first (etcd3 counts a
   * stream's 'error' against the member's circuit), so the next stream goes to another member.
   */
  private drop(unanswered = false): void {
    const stream = this.stream as (KeepAliveStream & { writable?: boolean; emit?: (event: string, err: Error) => boolean }) | undefined;
    this.stream = undefined;
    this.pendingSince = undefined;
    if (stream === undefined) return;
    try {
      if (unanswered && stream.writable === true) stream.emit?.('error', new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: lease renewal unanswered'));
      stream.cancel();
    } catch {
      // already closed
    }
  }
}
