// One downstream request as the hooks see it: the request head read once into plain fields (no
// node:http header object), the limits that apply to it, and helpers to answer locally.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import { connectionTokens, HOP_BY_HOP, removeConnectionNamed } from '../protocols/http1/hop-by-hop.js';
import type { Peer } from '../upstream/peer.js';
import type { RetryPolicy } from '../upstream/retry-policy.js';
import type { ListenerContext } from './listener-context.js';
import { newRequestId } from './request-id.js';

/** Headers the proxy itself writes upstream; incoming copies are read, then replaced. */
// x-forwarded-client-cert: only the proxy says who the caller is (identity/forwarded-client-cert.ts);
// a value from the client is dropped, as Envoy's default SANITIZE does.
const PROXY_OWNED = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'x-forwarded-client-cert', 'expect', 'content-length']);

export class Session {
  readonly method: string;
  /** Path of the request target, without the query. */
  readonly path: string;
  /** Query string without the `?`; '' when there is none. */
  readonly query: string;
  /** Host the client asked for: lowercase, without the port. */
  readonly host: string;
  /** The Host header (or absolute-form authority) as sent. */
  readonly authority: string;
  /** End-to-end request headers, lowercase names; hop-by-hop and proxy-owned ones are not here. */
  readonly headers: HeaderList;
  /** The client's X-Forwarded-For, if any (the proxy appends the client address to it). */
  readonly forwardedFor: string | undefined;
  readonly remoteAddress: string;
  /** Request body length: 0 none, > 0 Content-Length, -1 chunked. */
  readonly bodyLength: number;
  /** The client sent `Expect: 100-continue` (it is answered when the body is first read). */
  readonly expectContinue: boolean;
  /** When set, the request head is unusable (ambiguous framing): answered 400 and closed. */
  readonly badRequest: string | undefined;
  /** Header fields the client sent (HTTP/2 pseudo-headers not counted). */
  readonly headerCount: number;
  /** Header list size as RFC 9113 §6.5.2 counts it (name + value + 32 per field, pseudo-headers included). */
  readonly headerBytes: number;
  readonly startMs = performance.now();
  /** Passed on from the client's x-request-id, or generated. */
  requestId: string;

  /** Request target sent upstream (path and query); rewrites change it. */
  target: string;
  /** Host header sent upstream; defaults to the client's. */
  upstreamHost: string;
  /** Time to the upstream's response head, retries included (0: none). */
  timeoutMs = 15_000;
  retryPolicy: RetryPolicy | undefined;
  maxRequestBodyBytes: number;
  /**
   * Bodies up to this size are read whole before an upstream is picked (request-body-buffer.ts); a
   * route may set 0 to stream its bodies. Starts as the listener's bodyBufferBytes.
   */
  bodyBufferBytes: number;
  /** The whole request body, read before the first try: sent (and replayed on retries) from memory. */
  bufferedBody: Buffer[] | undefined;

  /** 0 for the first try, then 1, 2, ... on retries. */
  attempt = 0;
  readonly triedPeers: Peer[] = [];
  /** Status sent downstream (0 until one is). */
  status = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Request body bytes were streamed from the client to an upstream: the request can no longer be replayed. */
  bodyStarted = false;
  /** The whole request body was read (or there was none). */
  bodyEnded = false;
  /** The error that ended the request, for logging. */
  error: ProxyError | undefined;
  private continued = false;

  /**
   * How the client reached the proxy (X-Forwarded-Proto, redirects): the listener's scheme, or https
   * on a plain listener that terminated TLS itself (a sidecar's inbound listener in mutual TLS).
   */
  readonly scheme: 'http' | 'https';

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse, readonly listener: ListenerContext, expectContinue = false) {
    this.method = req.method ?? 'GET';
    this.scheme = listener.scheme === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
    this.expectContinue = expectContinue;
    this.remoteAddress = req.socket.remoteAddress ?? '';
    this.maxRequestBodyBytes = listener.maxRequestBodyBytes;
    this.bodyBufferBytes = listener.bodyBufferBytes;

    const raw = req.rawHeaders;
    const out: string[] = [];
    let host: string | undefined;
    let hosts = 0;
    let contentLength = -1;
    let chunked = false;
    let requestId: string | undefined;
    let forwardedFor: string | undefined;
    let connection: string | undefined;
    let bad: string | undefined;
    let pseudoAuthority: string | undefined;
    let pseudo = 0;
    let headerBytes = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      headerBytes += name.length + value.length + 32;
      if (name.charCodeAt(0) === 58 /* : */) {
        pseudo++;
        // HTTP/2 pseudo-headers: :method and :path arrive as req.method and req.url.
        if (name === ':authority') pseudoAuthority = value;
        continue;
      }
      if (HOP_BY_HOP.has(name)) {
        if (name === 'transfer-encoding') chunked = true;
        else if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
        continue;
      }
      if (PROXY_OWNED.has(name)) {
        if (name === 'host') {
          host = value;
          hosts++;
        } else if (name === 'content-length') contentLength = Number(value);
        else if (name === 'x-request-id') requestId = value;
        else if (name === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      }
      out.push(name, value);
    }
    // llhttp already refuses CL with TE, differing CLs, bad chunk sizes and obs-fold; these it lets by.
    if (hosts > 1) bad = 'more than one Host header';
    if (chunked && req.httpVersionMinor === 0) bad = 'Transfer-Encoding in an HTTP/1.0 request';
    if (connection !== undefined) removeConnectionNamed(out, connectionTokens(connection));
    this.headerCount = raw.length / 2 - pseudo;
    this.headerBytes = headerBytes;
    this.headers = new HeaderList(out);
    this.forwardedFor = forwardedFor;
    // RFC 9113 §8.3.1: :authority stands for Host (and wins when both are sent).
    if (pseudoAuthority !== undefined) {
      host = pseudoAuthority;
      hosts = 1;
    }
    // An HTTP/2 request has a body unless its HEADERS frame ended the stream; its length is known
    // only when content-length is sent.
    const h2Body = req.httpVersionMajor === 2 && !(req as IncomingMessage & { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders;
    this.bodyLength = chunked ? -1 : contentLength > 0 ? contentLength : h2Body ? -1 : 0;
    this.requestId = requestId !== undefined && requestId !== '' ? requestId : newRequestId();

    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47 /* / */ && url !== '*') {
      // Absolute form (RFC 9112 §3.2.2): its authority wins over the Host header.
      const m = /^https?:\/\/([^/?#]+)(.*)$/i.exec(url);
      if (m === null) bad ??= 'request target is not a path';
      else {
        host = m[1]!;
        url = m[2] === '' ? '/' : m[2]!;
      }
    }
    this.badRequest = bad;
    const q = url.indexOf('?');
    this.path = q < 0 ? url : url.slice(0, q);
    this.query = q < 0 ? '' : url.slice(q + 1);
    this.target = url;
    this.authority = host ?? '';
    this.upstreamHost = this.authority;
    this.host = hostName(this.authority);
  }

  /**
   * Why this request is refused by its head alone, before any hook runs: a method the proxy does not
   * serve (CONNECT: 501), more header fields than the listener allows (431; node:http keeps one more
   * than the limit, so a flood is never passed on truncated), an HTTP/2 header list over
   * maxHeaderBytes (431; node:http enforces it for HTTP/1.1), or ambiguous framing (400).
   */
  refusal(): ProxyError | undefined {
    if (this.method === 'CONNECT') {
      return new ProxyError(ProxyErrorCode.MethodNotImplemented, 'CONNECT is not served: this proxy forwards requests to routes, it does not open tunnels');
    }
    const limits = this.listener;
    if (this.headerCount > limits.maxHeaderCount) {
      return new ProxyError(ProxyErrorCode.TooManyHeaders, `more than ${limits.maxHeaderCount} header fields`);
    }
    if (this.req.httpVersionMajor === 2 && this.headerBytes > limits.maxHeaderBytes) {
      return new ProxyError(ProxyErrorCode.HeadersTooLarge, `header list of ${this.headerBytes} bytes is over the limit of ${limits.maxHeaderBytes}`);
    }
    return this.badRequest === undefined ? undefined : new ProxyError(ProxyErrorCode.BadRequest, this.badRequest);
  }

  /** Before the first body read: answers a client's `Expect: 100-continue` (once). */
  continueBody(): void {
    if (this.expectContinue && !this.continued) {
      this.continued = true;
      this.res.writeContinue();
    }
  }

  /** Whether a response (head) has started downstream; after that only the connection can be cut. */
  get responseStarted(): boolean {
    return this.res.headersSent;
  }

  /**
   * Answers locally: status, a text body and extra headers (flat `[name, value, ...]` or a record).
   * Closes the connection afterwards when request body bytes are left unread.
   */
  respond(status: number, body = '', headers?: readonly string[] | Readonly<Record<string, string>>): void {
    const res = this.res;
    if (res.headersSent) return;
    const flat: string[] = [];
    if (headers !== undefined) {
      if (Array.isArray(headers)) flat.push(...(headers as string[]));
      else for (const [k, v] of Object.entries(headers)) flat.push(k, v);
    }
    const buf = Buffer.from(body);
    if (buf.length > 0 && !hasName(flat, 'content-type')) flat.push('content-type', 'text/plain; charset=utf-8');
    flat.push('content-length', String(buf.length));
    // Unread body bytes would be taken for the next request: close instead.
    if (this.bodyLength !== 0 && !this.bodyEnded) res.shouldKeepAlive = false;
    this.status = status;
    res.writeHead(status, flat);
    res.end(this.method === 'HEAD' ? undefined : buf);
    this.bytesSent += buf.length;
  }

  /** The value of a query parameter (first occurrence, decoded), or undefined. */
  queryParam(name: string): string | undefined {
    if (this.query === '') return undefined;
    for (const part of this.query.split('&')) {
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      if (safeDecode(key) === name) return eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    }
    return undefined;
  }

  /** The value of a cookie, or undefined. */
  cookie(name: string): string | undefined {
    for (const header of this.headers.getAll('cookie')) {
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
      }
    }
    return undefined;
  }

  /** Milliseconds since the request head was read. */
  elapsedMs(): number {
    return performance.now() - this.startMs;
  }
}

/** `Example.COM:8080` → `example.com`; `[::1]:80` → `[::1]`. */
export function hostName(authority: string): string {
  let end = authority.length;
  const colon = authority.lastIndexOf(':');
  if (colon >= 0 && authority.indexOf(']', colon) < 0) end = colon;
  const name = end === authority.length ? authority : authority.slice(0, end);
  return name.toLowerCase();
}


function hasName(raw: readonly string[], name: string): boolean {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return true;
  return false;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
