// The phase hooks of a proxy application, in lifecycle order: Sluice's twin of Pingora's `ProxyHttp`
// trait. An application implements `ProxyHttp`; built-in and user filters implement `HttpFilter`,
// the same hooks minus the two that only an application can own (newCtx, upstreamPeer).
//
//   request head read
//     → requestFilter            (answer locally? route, authenticate, rate-limit)
//     → [small request body read whole → requestBodyFilter]    (request-body-buffer.ts)
//     → upstreamPeer             (choose the endpoint)          ┐ once per try;
//     → upstreamRequestFilter    (edit what goes upstream)      │ failToConnect / errorWhileProxy
//     → [request body → requestBodyFilter → upstream]           ┘ decide if a try is retried
//     → responseFilter           (edit the upstream's status and headers)
//     → responseBodyTransform    (a Transform for the body, e.g. compression; not for bodiless answers)
//     → [response body → responseBodyFilter → the Transform, if any → client]
//     → logging                  (always, once)
//   a failure with no response started → failToProxy (writes the error answer)
import type { Transform } from 'node:stream';
import type { ProxyError } from '../errors.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import type { Peer } from '../upstream/peer.js';
import type { UpstreamRequest } from '../upstream/upstream-client.js';
import type { Session } from './session.js';

export type MaybePromise<T> = T | Promise<T>;

export interface ProxyHttp<CTX = unknown> {
  /**
   * Creates the per-request context passed to every hook. Runs once per request, before any hook.
   * Keep it small: it is allocated on the hot path.
   */
  newCtx(): CTX;

  /**
   * Runs first, when the request head has been read and before any body byte is. Use it to route,
   * authenticate, rate-limit or answer locally. Return `true` after answering with
   * `session.respond(...)`: the request ends there (then `logging`). Return `false`/nothing to go on
   * to `upstreamPeer`. A thrown ProxyError ends the request with its status (through `failToProxy`);
   * anything else thrown is a 500. Default: go on.
   */
  requestFilter?(session: Session, ctx: CTX): MaybePromise<boolean | void>;

  /**
   * Chooses the peer for this try. Runs once per try: `session.attempt` is 0 for the first try and
   * counts retries; `session.triedPeers` lists the peers already tried, so a balancer can avoid them.
   * Throw a ProxyError (e.g. SLUICE_PROXY_NO_HEALTHY_UPSTREAM) when there is none. Required.
   */
  upstreamPeer(session: Session, ctx: CTX): MaybePromise<Peer>;

  /**
   * Runs once per try after a connection to the peer is ready and before the request head is sent.
   * Edit `request` (method, target, headers) in place; it is a fresh copy for each try. Must not be
   * async. Default: the client's request as is, with hop-by-hop headers removed and X-Forwarded-For /
   * -Proto / -Host and x-request-id added.
   */
  upstreamRequestFilter?(session: Session, request: UpstreamRequest, ctx: CTX): void;

  /**
   * Runs for every response head an upstream sends, before `responseFilter`, including a response the
   * route's retry policy retries (which never reaches `responseFilter`): for passive health checks
   * that must see every answer of an endpoint. Must not throw or be async. Default: nothing.
   */
  upstreamResponse?(session: Session, peer: Peer, status: number, ctx: CTX): void;

  /**
   * Runs when the upstream's response head arrived and before it is sent downstream. Edit
   * `response.status` and `response.headers` in place. Must not be async. Not called for a response
   * that is retried (the route's retry policy covers its status). Default: passed on as is.
   */
  responseFilter?(session: Session, response: ResponseHead, ctx: CTX): void;

  /**
   * Sees each piece of request body once, as it is read from the client; returns what to send instead
   * (the same buffer, another, or undefined to send nothing). Called once more with `end` true and no
   * chunk. A body small enough to be buffered (the listener's bodyBufferBytes) is filtered when it has
   * been read, before `upstreamPeer`, and its result is what every try sends (with its length); a
   * streamed body is filtered as it goes upstream, and then goes chunked. Default: none.
   */
  requestBodyFilter?(session: Session, chunk: Buffer | undefined, end: boolean, ctx: CTX): Buffer | undefined;

  /**
   * Sees each piece of response body before it goes downstream; same contract as
   * `requestBodyFilter`. When defined, responses go downstream without Content-Length. Default: none.
   */
  responseBodyFilter?(session: Session, chunk: Buffer | undefined, end: boolean, ctx: CTX): Buffer | undefined;

  /**
   * Runs after `responseFilter` when the response carries a body (not for HEAD, 1xx, 204 or 304), and
   * may return a Transform the body then flows through on its way downstream (compression), with
   * backpressure both ways; `response` may still be edited here (its head is not sent yet). When one
   * is returned, the response goes downstream without Content-Length and the request ends when the
   * Transform has ended. Without one (or without this hook) the body's bytes go downstream as they
   * came, at no extra cost. Must not be async. Default: none.
   */
  responseBodyTransform?(session: Session, response: ResponseHead, ctx: CTX): Transform | undefined;

  /**
   * Runs once per request at the very end: after the response was sent, or after it failed (`error`
   * set; `session.status` says what the client got, 0 when nothing). For access logs and metrics;
   * must not throw. Default: nothing.
   */
  logging?(session: Session, error: ProxyError | undefined, ctx: CTX): void;

  /**
   * Connecting to `peer` failed (refused, timed out). Return the error to act on: set `retryable`
   * to false to forbid a retry, or true to allow one the route's policy would not cover. Default:
   * the error as is; connect failures are retryable (nothing reached the upstream).
   */
  failToConnect?(session: Session, peer: Peer, error: ProxyError, ctx: CTX): ProxyError;

  /**
   * The try failed after connecting: reset, per-try timeout, invalid response. Return the error to
   * act on, as in `failToConnect`. Default: the error as is; a reused pooled connection that fails
   * before any response byte is retried once on a fresh connection whatever the policy (the
   * upstream may have closed it while it was idle), when the request is safe to retry.
   */
  errorWhileProxy?(session: Session, peer: Peer, error: ProxyError, ctx: CTX): ProxyError;

  /**
   * The request failed for good before a response started downstream. Answer with
   * `session.respond(...)`; when this hook does not answer (or is not defined), the proxy answers
   * `error.status` with an `x-sluice-error` header naming the cause and a one-line body. Not called
   * when the response had started (then the client connection is closed) or the client went away.
   */
  failToProxy?(session: Session, error: ProxyError, ctx: CTX): MaybePromise<void>;
}

/** A filter: the hooks of `ProxyHttp` that a reusable piece of behavior may take part in. */
export type HttpFilter<CTX = unknown> = Partial<Omit<ProxyHttp<CTX>, 'newCtx' | 'upstreamPeer'>> & {
  /** For logs and config dumps: `cors`, `rate-limit`, a user filter's module name. */
  readonly name: string;
};
