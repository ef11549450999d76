// One request's part in a trace: a server span from the request head to the end of the response, and
// a client span per upstream try (a retry is a new client span, with http.request.resend_count), each
// try carrying its own span id upstream in `traceparent`. A request that is not sampled records
// nothing but still passes the trace on (its trace id, a fresh span id, the sampled flag off), so the
// services behind it keep the caller's decision. Attributes follow OpenTelemetry's HTTP semantic
// conventions, plus sluice.* for what only the proxy knows. Every attribute is encoded into every
// exported span, which is most of what tracing costs the proxy: no attribute is here by habit (the
// request id, for one, is in the access log with the trace id).
import { SpanKind, TraceFlags, type Attributes, type SpanContext } from '@opentelemetry/api';
import type { ProxyError } from '../errors.js';
import { redactQuery } from '../logging/redact.js';
import type { Session } from '../proxy/session.js';
import type { Peer } from '../upstream/peer.js';
import type { UpstreamRequest } from '../upstream/upstream-client.js';
import { RecordedSpan, type SpanSource } from './recorded-span.js';
import { formatTraceparent, type TraceContext } from './trace-context.js';
import { newSpanId, newTraceId } from './trace-ids.js';

/** Where a sampled request's spans go when they end (the process's span queue). */
export interface SpanRecorder {
  readonly source: SpanSource;
  finished(span: RecordedSpan): void;
}

/** What the mesh application knows of the request when it ends. */
export interface TracedOutcome {
  readonly route: string | undefined;
  readonly cluster: string | undefined;
}

export class RequestTrace {
  readonly traceId: string;
  private readonly server: RecordedSpan | undefined;
  private attempt: RecordedSpan | undefined;
  private tries = 0;

  constructor(
    private readonly recorder: SpanRecorder | undefined,
    session: Session,
    parent: TraceContext | undefined,
    readonly sampled: boolean,
  ) {
    this.traceId = parent?.traceId ?? newTraceId();
    if (sampled && recorder !== undefined) {
      const caller: SpanContext | undefined = parent === undefined ? undefined : {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
        isRemote: true,
      };
      this.server = new RecordedSpan(recorder.source, session.method, SpanKind.SERVER, this.traceId, newSpanId(), caller, session.startMs, serverAttributes(session));
    }
  }

  /** A new try is about to pick its endpoint: the previous try's span (a retried answer) ends. */
  nextTry(): void {
    this.endAttempt();
  }

  /** A try's connection is ready: a client span (when sampled), and the trace context the upstream receives. */
  beginAttempt(session: Session, request: UpstreamRequest, peer: Peer, startMs: number): void {
    const n = this.tries++;
    let spanId: string;
    if (this.server !== undefined) {
      this.attempt = this.clientSpan(session, peer, n, startMs);
      this.attempt.attributes['url.full'] = `${peer.tls === undefined ? 'http' : 'https'}://${peer.key}${redactedTarget(request.target)}`;
      spanId = this.attempt.spanContext().spanId;
    } else {
      spanId = newSpanId();
    }
    request.headers.set('traceparent', formatTraceparent(this.traceId, spanId, this.server !== undefined));
    // tracestate goes on as it came (it is in the copied headers): the proxy adds no vendor entry.
  }

  /** The try's upstream answered with `status` (the span ends when the next try starts or the request ends). */
  upstreamStatus(status: number): void {
    if (this.attempt === undefined) return;
    this.attempt.attributes['http.response.status_code'] = status;
    if (status >= 400) this.attempt.failed();
  }

  /** The try failed: a connect failure (no span was started: one is recorded from `startMs`), reset or timeout. */
  attemptFailed(session: Session, error: ProxyError, peer: Peer, startMs: number): void {
    if (this.server === undefined) return;
    if (this.attempt === undefined) this.attempt = this.clientSpan(session, peer, this.tries++, startMs);
    this.attempt.attributes['error.type'] = error.code;
    this.attempt.failed(error.message);
    this.endAttempt();
  }

  /** The request ended (the `logging` phase): the last try's span, then the server span. */
  end(session: Session, error: ProxyError | undefined, outcome: TracedOutcome): void {
    const span = this.server;
    if (span === undefined) return;
    if (error !== undefined && this.attempt !== undefined && session.status === 0) this.attempt.attributes['error.type'] = error.code;
    this.endAttempt();
    const attributes = span.attributes;
    if (outcome.route !== undefined) {
      span.name = `${session.method} ${outcome.route}`;
      attributes['sluice.route'] = outcome.route;
    }
    if (outcome.cluster !== undefined) attributes['sluice.cluster'] = outcome.cluster;
    if (session.status > 0) attributes['http.response.status_code'] = session.status;
    if (error !== undefined) {
      attributes['error.type'] = error.code;
      attributes['sluice.response_flags'] = error.causeName;
    }
    // A server span is an error for 5xx and for failures; a 4xx is the client's (semantic conventions).
    if (session.status >= 500 || (error !== undefined && session.status === 0)) span.failed(error?.message);
    span.end();
    this.recorder!.finished(span);
  }

  /** The client span of try `n` (0 for the first), child of the server span. */
  private clientSpan(session: Session, peer: Peer, n: number, startMs: number): RecordedSpan {
    const attributes: Attributes = { 'http.request.method': session.method, 'server.address': peer.host, 'server.port': peer.port, 'sluice.endpoint': peer.key };
    if (n > 0) attributes['http.request.resend_count'] = n;
    return new RecordedSpan(this.recorder!.source, session.method, SpanKind.CLIENT, this.traceId, newSpanId(), this.server!.spanContext(), startMs, attributes);
  }

  private endAttempt(): void {
    const attempt = this.attempt;
    if (attempt === undefined) return;
    this.attempt = undefined;
    attempt.end();
    this.recorder!.finished(attempt);
  }
}

/** A request target with secret query parameters redacted, as the access log writes it. */
function redactedTarget(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : redactQuery(target.slice(0, q), target.slice(q + 1));
}

function serverAttributes(session: Session): Attributes {
  const attributes: Attributes = {
    'http.request.method': session.method,
    'url.scheme': session.scheme,
    'url.path': session.path,
    'server.address': session.host,
    'client.address': session.remoteAddress,
    'network.protocol.version': session.req.httpVersionMajor === 2 ? '2' : `${session.req.httpVersionMajor}.${session.req.httpVersionMinor}`,
  };
  if (session.query !== '') attributes['url.query'] = redactQuery('', session.query).replace(/^\?/, '');
  const agent = session.headers.get('user-agent');
  if (agent !== undefined) attributes['user_agent.original'] = agent;
  return attributes;
}
