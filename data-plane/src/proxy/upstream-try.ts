// One try of a request against one upstream connection: sends the head, the buffered request body or
// pumps the streamed one up, and the response body down, with backpressure both ways, and settles with
// an outcome the engine uses to decide on retries. It is the ExchangeHandler of its connection.
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { HeaderList } from '../protocols/header-list.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import type { BufferLease } from '../upstream/read-buffer-pool.js';
import type { UpstreamConnection, ExchangeHandler, UpstreamRequest } from '../upstream/upstream-client.js';
import { noteBodyBytes } from './body-gc-pacer.js';
import { BodyIdleTimer } from './body-idle-timer.js';
import { DeadlineQueue, type Deadline } from './deadline-queue.js';
import type { ProxyHttp } from './proxy-http.js';
import type { Session } from './session.js';
import { responseHasBody, TransformedBody } from './transformed-body.js';

/** undefined: the response was sent; 'retry': a status the policy retries (nothing was sent). */
export type TryOutcome = undefined | 'retry' | ProxyError;

/** The upstream timeouts of every try in the process (one timer for all: deadline-queue.ts). */
const upstreamTimeouts = new DeadlineQueue();

export class UpstreamTry<CTX> implements ExchangeHandler, Deadline {
  /** A response byte (or head) came from the upstream: a reused connection was not stale. */
  gotResponse = false;
  private settled = false;
  private resolve!: (outcome: TryOutcome) => void;
  // Deadline: this try's place in upstreamTimeouts.
  deadlineAt = 0;
  prevDeadline: Deadline | undefined = undefined;
  nextDeadline: Deadline | undefined = undefined;
  queued = false;
  private timeoutMs = Infinity;
  /** While a body streams: the pauses between its bytes. */
  private bodyIdle: BodyIdleTimer | undefined;
  /** The response body goes downstream through a filter's Transform (responseBodyTransform). */
  private transformed: TransformedBody | undefined;
  /**
   * The upstream sent its whole response and its connection may already serve another request: only
   * the Transform's output is left to send, and the connection must not be aborted any more.
   */
  private upstreamEnded = false;
  // Listeners made when first needed (backpressure, a streamed body, a Transform): most requests need
  // none, and three closures a request are garbage the young generation collects for nothing.
  private drainListener: (() => void) | undefined;
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private endListener: (() => void) | undefined;

  constructor(
    private readonly app: ProxyHttp<CTX>,
    private readonly session: Session,
    private readonly ctx: CTX,
    private readonly conn: UpstreamConnection,
    /** True when a covered status will be retried instead of passed on. */
    private readonly retryStatus: boolean,
    /**
     * Circuit breakers: takes the slot of the retry a covered status asks for; false (max_retries or
     * the retry budget refused it) passes the response on instead. Undefined: no limit.
     */
    private readonly claimRetry: (() => boolean) | undefined = undefined,
  ) {}

  /**
   * `timeoutMs` bounds the wait for the response head. It starts once the request body was sent:
   * at once for a buffered body (or none), when the client's last byte came for a streamed one (as
   * Envoy's route timeout starts at the end of the downstream request), so a slow client never ends
   * as the upstream's 504; while it streams, the listener's bodyIdleTimeoutMs bounds each pause.
   */
  run(request: UpstreamRequest, timeoutMs: number): Promise<TryOutcome> {
    const promise = new Promise<TryOutcome>((resolve) => (this.resolve = resolve));
    this.timeoutMs = timeoutMs;
    this.conn.send(request, this);
    const session = this.session;
    const buffered = session.bufferedBody;
    if (buffered !== undefined) {
      if (request.bodyLength !== 0 && !this.settled) {
        for (const chunk of buffered) this.conn.writeBody(chunk);
        this.conn.endBody();
      }
    } else if (session.bodyLength !== 0 && !session.bodyStarted && !this.settled) {
      session.bodyStarted = true;
      session.continueBody();
      const idleMs = session.listener.bodyIdleTimeoutMs;
      this.bodyIdle = new BodyIdleTimer(idleMs, () => this.bodyStalled(idleMs));
      session.req.on('data', (this.dataListener = (chunk: Buffer): void => this.requestData(chunk)));
      session.req.on('end', (this.endListener = (): void => this.requestEnd()));
      // The body may have been paused by request-body-buffer.ts (longer than its buffer).
      session.req.resume();
      return promise;
    }
    this.startTimer();
    return promise;
  }

  private startTimer(): void {
    if (this.timeoutMs < Infinity && !this.settled && !this.gotResponse) upstreamTimeouts.add(this, this.timeoutMs);
  }

  /** No response head within timeoutMs (upstreamTimeouts calls it). */
  onDeadline(): void {
    this.fail(new ProxyError(ProxyErrorCode.UpstreamTimeout, `no response from upstream within ${Math.round(this.timeoutMs)} ms`));
  }

  /**
   * No body byte for bodyIdleTimeoutMs: the client's fault (408) when the proxy was reading, the
   * upstream's when the proxy had paused the client because the upstream did not take the body.
   */
  private bodyStalled(idleMs: number): void {
    if (this.session.req.isPaused()) this.fail(new ProxyError(ProxyErrorCode.UpstreamTimeout, `upstream took no request body for ${idleMs} ms`));
    else this.fail(new ProxyError(ProxyErrorCode.RequestBodyTimeout, `no request body byte for ${idleMs} ms`));
  }

  /** The client went away: stop everything, quietly. */
  abort(error: ProxyError): void {
    if (this.settled) return;
    if (!this.upstreamEnded) this.conn.abort();
    this.transformed?.destroy();
    this.settle(error);
  }

  onResponseHead(head: ResponseHead): void {
    this.gotResponse = true;
    this.clearTimer();
    // Every answer, retried or not, counts for passive health (outlier detection).
    if (this.app.upstreamResponse !== undefined) {
      const tried = this.session.triedPeers;
      this.app.upstreamResponse(this.session, tried[tried.length - 1]!, head.status, this.ctx);
    }
    if (this.retryStatus && this.session.retryPolicy?.coversStatus(head.status) && (this.claimRetry === undefined || this.claimRetry())) {
      this.conn.abort();
      this.settle('retry');
      return;
    }
    const { app, session } = this;
    try {
      app.responseFilter?.(session, head, this.ctx);
      if (app.responseBodyTransform !== undefined && responseHasBody(session.method, head.status)) this.startTransform(head);
      if (app.responseBodyFilter !== undefined || this.transformed !== undefined) head.headers.remove('content-length');
      session.status = head.status;
      session.res.writeHead(head.status, head.headers.raw);
    } catch (err) {
      this.fail(err instanceof ProxyError ? err : new ProxyError(ProxyErrorCode.UpstreamProtocol, `response head could not be passed on: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** Asks the application for a Transform of the response body; the head may still be edited. */
  private startTransform(head: ResponseHead): void {
    const transform = this.app.responseBodyTransform!(this.session, head, this.ctx);
    if (transform === undefined) return;
    this.transformed = new TransformedBody(transform, this.session, {
      drain: this.onResDrain(),
      done: () => this.settle(undefined),
      error: (err) => this.fail(new ProxyError(ProxyErrorCode.Internal, `response body transform failed: ${err.message}`, { cause: err })),
    });
  }

  onResponseData(chunk: Buffer, lease: BufferLease): boolean {
    const session = this.session;
    let ok: boolean;
    if (this.app.responseBodyFilter !== undefined || this.transformed !== undefined) {
      // Filters and Transforms may keep what they are given: a copy, not a view of a reused buffer.
      let data: Buffer | undefined = Buffer.from(chunk);
      if (this.app.responseBodyFilter !== undefined) data = this.app.responseBodyFilter(session, data, false, this.ctx);
      if (data === undefined) return true;
      if (this.transformed !== undefined) return this.transformed.write(data);
      session.bytesSent += data.length;
      ok = session.res.write(data);
    } else {
      session.bytesSent += chunk.length;
      // The read buffer goes back to its pool once this write has reached the socket.
      lease.retain();
      ok = session.res.write(chunk, lease.release);
    }
    if (ok) return true;
    session.res.once('drain', this.onResDrain());
    return false;
  }

  /** The listener that resumes the upstream's response once the client took what was written. */
  private onResDrain(): () => void {
    return (this.drainListener ??= (): void => this.conn.resumeResponse());
  }

  onResponseTrailers(trailers: HeaderList): void {
    const raw = trailers.raw;
    const out: Record<string, string> = {};
    for (let i = 0; i < raw.length; i += 2) out[raw[i]!] = out[raw[i]!] === undefined ? raw[i + 1]! : `${out[raw[i]!]}, ${raw[i + 1]}`;
    this.session.res.addTrailers(out);
  }

  onResponseEnd(): void {
    const session = this.session;
    const transformed = this.transformed;
    if (this.app.responseBodyFilter !== undefined) {
      const tail = this.app.responseBodyFilter(session, undefined, true, this.ctx);
      if (tail !== undefined) {
        if (transformed !== undefined) transformed.write(tail);
        else session.res.write(tail);
      }
    }
    if (transformed === undefined) session.res.end();
    if (!session.bodyEnded && session.bodyStarted) {
      // The upstream answered before reading the whole body: stop sending it, and read the rest from
      // the client into nothing so the connection stays in sync for its next request.
      this.stopPump();
      this.conn.abort();
      session.req.resume();
    }
    if (transformed === undefined) {
      this.settle(undefined);
      return;
    }
    // The try settles when the Transform has sent its last byte (its `done`).
    this.upstreamEnded = true;
    transformed.end();
  }

  onError(error: ProxyError): void {
    this.fail(error);
  }

  onRequestDrain(): void {
    this.bodyIdle?.touch();
    this.session.req.resume();
  }

  private requestData(chunk: Buffer): void {
    const session = this.session;
    this.bodyIdle?.touch();
    session.bytesReceived += chunk.length;
    noteBodyBytes(chunk.length);
    if (session.bytesReceived > session.maxRequestBodyBytes) {
      this.fail(new ProxyError(ProxyErrorCode.BodyTooLarge, `request body over ${session.maxRequestBodyBytes} bytes`));
      return;
    }
    let data: Buffer | undefined = chunk;
    if (this.app.requestBodyFilter !== undefined) {
      data = this.app.requestBodyFilter(session, chunk, false, this.ctx);
      if (data === undefined) return;
    }
    if (!this.conn.writeBody(data)) session.req.pause();
  }

  private requestEnd(): void {
    const session = this.session;
    session.bodyEnded = true;
    this.stopPump();
    if (this.app.requestBodyFilter !== undefined) {
      const tail = this.app.requestBodyFilter(session, undefined, true, this.ctx);
      if (tail !== undefined) this.conn.writeBody(tail);
    }
    this.conn.endBody();
    this.startTimer();
  }

  private stopPump(): void {
    this.bodyIdle?.stop();
    this.bodyIdle = undefined;
    if (this.dataListener !== undefined) this.session.req.removeListener('data', this.dataListener);
    if (this.endListener !== undefined) this.session.req.removeListener('end', this.endListener);
  }

  private fail(error: ProxyError): void {
    if (this.settled) return;
    if (!this.upstreamEnded) this.conn.abort();
    this.transformed?.destroy();
    if (this.session.bodyStarted && !this.session.bodyEnded) this.stopPump();
    if (this.session.responseStarted) this.session.res.destroy();
    this.settle(error);
  }

  private settle(outcome: TryOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.bodyIdle?.stop();
    this.resolve(outcome);
  }

  private clearTimer(): void {
    if (this.queued) upstreamTimeouts.remove(this);
  }
}
