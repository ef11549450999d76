// The proxy engine: runs an application's phase hooks for each request, tries upstreams with retries
// when the route's policy allows it and it is safe, and turns failures into answers. Pingora's
// HttpProxy<SV>. Hooks that return plain values are not awaited, so a synchronous application
// costs no promise per phase.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ProxyError, ProxyErrorCode, toProxyError } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import { grpcTimeoutMs, isGrpc, respondGrpcError } from '../protocols/grpc.js';
import { overloadedError, type CircuitBreaker } from '../upstream/circuit-breaker.js';
import type { Peer } from '../upstream/peer.js';
import { refusedConnectCode } from '../upstream/refused-connect.js';
import type { UpstreamConnection, UpstreamRequest } from '../upstream/upstream-client.js';
import type { ListenerContext } from './listener-context.js';
import type { ProxyHttp } from './proxy-http.js';
import { bufferRequestBody, buffersBody } from './request-body-buffer.js';
import { isPromise, runRequestFilter } from './request-filter-phase.js';
import { Session } from './session.js';
import { UpstreamTry } from './upstream-try.js';

/** Methods whose requests may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** An application whose upstreams have circuit breakers (the mesh: one per cluster). */
export interface CircuitBreakerSource<CTX> {
  /**
   * The circuit breaker of the upstream this request goes to, asked once after `requestFilter`
   * when the request is to be proxied; undefined: no limits. The engine holds a request slot for the
   * whole proxying, a pending slot while it waits for a connection or stream, and a retry slot from
   * deciding on a retry until that try ends; each goes back exactly once on every path.
   */
  circuitBreaker?(session: Session, ctx: CTX): CircuitBreaker | undefined;
}

export class HttpProxy<CTX = unknown> {
  constructor(readonly app: ProxyHttp<CTX> & CircuitBreakerSource<CTX>) {}

  /** Serves one request from a node:http server (see createProxyServer). */
  handle(req: IncomingMessage, res: ServerResponse, listener: ListenerContext, expectContinue = false): void {
    void this.serve(new Session(req, res, listener, expectContinue));
  }

  private async serve(session: Session): Promise<void> {
    const app = this.app;
    let ctx: CTX | undefined;
    let error: ProxyError | undefined;
    try {
      ctx = app.newCtx();
      let answered = runRequestFilter(app, session, ctx);
      if (isPromise(answered)) answered = await answered;
      if (!answered) {
        if (session.bodyLength > session.maxRequestBodyBytes) {
          throw new ProxyError(ProxyErrorCode.BodyTooLarge, `request body of ${session.bodyLength} bytes is over the limit of ${session.maxRequestBodyBytes}`);
        }
        // Before an upstream is picked and the circuit breaker's request slot is taken.
        if (buffersBody(session)) error = await bufferRequestBody(session, app, ctx);
        if (error === undefined) error = await this.proxy(session, ctx);
      }
    } catch (err) {
      error = toProxyError(err);
    }
    if (error !== undefined) {
      session.error = error;
      await this.fail(session, error, ctx as CTX);
    }
    if (app.logging !== undefined) {
      try {
        app.logging(session, error, ctx as CTX);
      } catch {
        // A logging hook must not take the proxy down.
      }
    }
  }

  /**
   * Tries upstreams until one answers, within the upstream's circuit breaker if it has one; returns
   * the error that ended the request, if any. One async function for both (each costs a promise and
   * a suspended frame per request).
   */
  private async proxy(session: Session, ctx: CTX): Promise<ProxyError | undefined> {
    const app = this.app;
    const breaker = app.circuitBreaker?.(session, ctx);
    const policy = session.retryPolicy;
    // The route's timeout runs from here, once a buffered body was read (as Envoy's starts at the end
    // of the downstream request): a slow client does not use up the upstream's time.
    let deadline = session.timeoutMs > 0 ? performance.now() + session.timeoutMs : Infinity;
    // A gRPC client's deadline bounds the wait too (the header also goes on to the upstream).
    const grpcMs = grpcTimeoutMs(session.headers.get('grpc-timeout'));
    if (grpcMs !== undefined) deadline = Math.min(deadline, session.startMs + grpcMs);
    let staleRetryUsed = false;
    let freeRepickUsed = false;
    let current: UpstreamTry<CTX> | undefined;
    const onClose = (): void => {
      if (!session.res.writableFinished) current?.abort(new ProxyError(ProxyErrorCode.DownstreamReset, 'client closed the connection'));
    };
    // `on`, not `once`: a response closes once, and once's wrapper is two more objects a request.
    session.res.on('close', onClose);
    // A retry holds a slot of the breaker's retry limit (or budget) from the decision until its try ends.
    let retrySlot = false;
    const releaseRetry = (): void => {
      if (retrySlot) {
        retrySlot = false;
        breaker!.endRetry();
      }
    };
    const claimRetry = (): boolean => {
      releaseRetry();
      retrySlot = breaker!.tryRetry();
      return retrySlot;
    };
    // The request slot goes back in the `finally` below, on every path.
    if (breaker !== undefined && !breaker.tryRequest()) return overloadedError(`cluster "${breaker.cluster}"`, 'max_requests');
    try {
      for (;;) {
        let p = app.upstreamPeer(session, ctx);
        const peer: Peer = isPromise(p) ? await p : p;
        session.triedPeers.push(peer);
        let error: ProxyError;
        let conn: UpstreamConnection | undefined;
        const pool = peer.pool;
        // Waiting for a connection or stream takes a pending slot; none left: refuse before connecting.
        let pending = false;
        if (breaker !== undefined && pool.readyNow?.() === false) {
          if (!breaker.tryPending()) return overloadedError(`cluster "${breaker.cluster}"`, 'max_pending_requests');
          pending = true;
        }
        let got: UpstreamConnection | Promise<UpstreamConnection> | undefined;
        try {
          got = pool.acquire();
          if (isPromise(got)) got = await got;
          conn = got;
        } catch (err) {
          error = toProxyError(err);
        } finally {
          if (pending) breaker!.endPending();
        }
        if (conn === undefined) {
          releaseRetry();
          // A breaker's refusal is the proxy's own answer, not the endpoint's failure.
          if (error!.code === ProxyErrorCode.Overloaded) return error!;
          if (app.failToConnect !== undefined) error = app.failToConnect(session, peer, error!, ctx);
          if (!freeRepickUsed && refusedConnectCode(error!) !== undefined && this.mayRepick(session, error!, deadline)) {
            freeRepickUsed = true;
            continue;
          }
        }
        if (conn !== undefined) {
          if (session.res.destroyed) {
            conn.abort();
            return new ProxyError(ProxyErrorCode.DownstreamReset, 'client closed the connection');
          }
          const request = this.upstreamRequest(session);
          if (app.upstreamRequestFilter !== undefined) app.upstreamRequestFilter(session, request, ctx);
          const mayRetry = policy !== undefined && session.attempt < policy.attempts && IDEMPOTENT.has(session.method) && !session.bodyStarted;
          const perTry = policy !== undefined && policy.perTryTimeoutMs > 0 ? policy.perTryTimeoutMs : Infinity;
          current = new UpstreamTry(app, session, ctx, conn, mayRetry, breaker === undefined ? undefined : claimRetry);
          peer.inflight++;
          const outcome = await current.run(request, Math.min(perTry, deadline - performance.now()));
          peer.inflight--;
          if (outcome === undefined) return undefined;
          // 'retry': the try already claimed the next retry's slot (claimRetry).
          if (outcome !== 'retry') {
            releaseRetry();
            error = outcome;
            if (error.code === ProxyErrorCode.DownstreamReset || session.responseStarted || error.source !== 'upstream') return error;
            if (app.errorWhileProxy !== undefined) error = app.errorWhileProxy(session, peer, error, ctx);
            // A pooled connection the upstream closed while idle fails at once: one free retry.
            if (!staleRetryUsed && conn.reuseCount > 0 && !current.gotResponse && error.code === ProxyErrorCode.UpstreamReset && this.safeToRetry(session, error)) {
              staleRetryUsed = true;
              continue;
            }
            // A new connection reset before any answer: the endpoint went away with it in its accept queue.
            if (!freeRepickUsed && conn.reuseCount === 0 && !current.gotResponse && error.code === ProxyErrorCode.UpstreamReset && this.mayRepick(session, error, deadline)) {
              freeRepickUsed = true;
              continue;
            }
            if (!this.shouldRetry(session, error, deadline)) return error;
            // Refused by max_retries or the retry budget: the client gets the failure itself.
            if (breaker !== undefined && !claimRetry()) return error;
          }
        } else if (!this.shouldRetry(session, error!, deadline) || (breaker !== undefined && !claimRetry())) {
          return error!;
        }
        session.attempt++;
        const delay = policy?.backoffMs(session.attempt) ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - performance.now()))));
      }
    } finally {
      releaseRetry();
      breaker?.endRequest();
    }
  }

  /**
   * A try the endpoint never answered on a connection it never answered on (a refused connect, or a
   * new connection reset before any response byte) goes to an endpoint not tried yet once per request,
   * without spending one of the route's attempts or a max_retries slot, when the route retries such
   * failures. Those limits keep retries from multiplying the load on endpoints that struggle to
   * answer; these tries met an endpoint that is gone (its process killed, its listener closed), which
   * outlier detection takes out at its first refusal. Until then, at full load, every request that
   * picked it needs another endpoint at once: Envoy's default of 3 concurrent retries fails most.
   */
  private mayRepick(session: Session, error: ProxyError, deadline: number): boolean {
    return session.retryPolicy?.coversError(error) === true && this.safeToRetry(session, error) && performance.now() < deadline;
  }

  private shouldRetry(session: Session, error: ProxyError, deadline: number): boolean {
    const policy = session.retryPolicy;
    if (policy === undefined || session.attempt >= policy.attempts || performance.now() >= deadline) return false;
    if (!error.retryable || !policy.coversError(error)) return false;
    return this.safeToRetry(session, error);
  }

  /**
   * Safe: nothing reached the upstream (connect failure), or the method is idempotent; and no body
   * byte was streamed from the client (a buffered body is replayed from memory).
   */
  private safeToRetry(session: Session, error: ProxyError): boolean {
    if (session.bodyStarted || session.res.destroyed) return false;
    return error.code === ProxyErrorCode.ConnectFailure || error.code === ProxyErrorCode.ConnectTimeout || IDEMPOTENT.has(session.method);
  }

  /** The request as it goes upstream: the client's end-to-end headers plus the proxy's own. */
  upstreamRequest(session: Session): UpstreamRequest {
    const from = session.headers.raw;
    const raw = new Array<string>(from.length + 10);
    raw[0] = 'host';
    raw[1] = session.upstreamHost;
    let n = 2;
    for (let i = 0; i < from.length; i++) raw[n++] = from[i]!;
    raw[n++] = 'x-forwarded-for';
    raw[n++] = session.forwardedFor === undefined ? session.remoteAddress : `${session.forwardedFor}, ${session.remoteAddress}`;
    raw[n++] = 'x-forwarded-proto';
    raw[n++] = session.scheme;
    raw[n++] = 'x-forwarded-host';
    raw[n++] = session.authority;
    raw[n++] = 'x-request-id';
    raw[n++] = session.requestId;
    raw.length = n;
    const buffered = session.bufferedBody;
    const bodyLength = buffered !== undefined ? byteLength(buffered) : session.bodyLength !== 0 && this.app.requestBodyFilter !== undefined ? -1 : session.bodyLength;
    return { method: session.method, target: session.target, headers: new HeaderList(raw), bodyLength };
  }

  private async fail(session: Session, error: ProxyError, ctx: CTX): Promise<void> {
    if (error.code === ProxyErrorCode.DownstreamReset || session.res.destroyed) return;
    if (session.responseStarted) {
      session.res.destroy();
      return;
    }
    if (error.code === ProxyErrorCode.BadRequest) session.res.shouldKeepAlive = false;
    if (this.app.failToProxy !== undefined) {
      try {
        const r = this.app.failToProxy(session, error, ctx);
        if (isPromise(r)) await r;
      } catch {
        // Fall through to the default answer.
      }
    }
    if (session.responseStarted) return;
    // Like Envoy's x-envoy-overloaded, naming the limit; gRPC answers carry it too.
    if (error.limit !== undefined) session.res.setHeader('x-sluice-overloaded', error.limit);
    // gRPC clients read grpc-status, not the HTTP status: answer 200 with the status in trailers.
    if (isGrpc(session)) respondGrpcError(session, error);
    else session.respond(error.status, errorBody(error), ['x-sluice-error', error.causeName]);
  }
}

function byteLength(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/** One line: the client's own mistakes are explained; upstream and internal details stay in logs. */
function errorBody(error: ProxyError): string {
  if (error.code === ProxyErrorCode.NoRoute) return 'no route matched this request\n';
  return error.source === 'downstream' ? `${error.causeName}: ${error.message}\n` : `${error.causeName}\n`;
}
