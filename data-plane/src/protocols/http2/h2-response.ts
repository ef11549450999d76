// One HTTP/2 response as the proxy engine writes it, straight onto node:http2's core stream: the
// members of node:http's ServerResponse that the engine, Session.respond, UpstreamTry, TransformedBody
// and the gRPC answers use. The head goes out with stream.respond(), the body with write()/end(), and
// trailers (gRPC's grpc-status) in the trailing HEADERS frame node:http2 asks for with 'wantTrailers'.
import type { OutgoingHttpHeaders } from 'node:http2';
import type { H2ServerStream } from './h2-server-stream.js';
import { StreamEvents } from './stream-events.js';

/** The stream's response, for the 'wantTrailers' listener (one function for every stream). */
const RESPONSE = Symbol('sluice.h2Response');

type Owned = H2ServerStream & { [RESPONSE]?: H2Response };

/** Sends the trailers added so far (none: an empty DATA frame ends the stream). */
function sendTrailers(this: Owned): void {
  const res = this[RESPONSE];
  if (this.destroyed || this.closed) return;
  this.sendTrailers(res?.trailers ?? NO_TRAILERS);
}

const NO_TRAILERS: OutgoingHttpHeaders = Object.freeze({});

/**
 * A response that may carry trailers is sent with waitForTrailers: trailers are added after the head
 * (an upstream's come with its last bytes), so whether there will be any is known only at the end,
 * and the stream then ends with a HEADERS frame of trailers or an empty DATA frame.
 */
const RESPOND_OPEN = Object.freeze({ waitForTrailers: true });
/** A response that will carry none: END_STREAM rides the last DATA frame, one frame fewer. */
const RESPOND_PLAIN = Object.freeze({});
/** A head that is the whole response (no body, no trailers): one HEADERS frame with END_STREAM. */
const RESPOND_ENDED = Object.freeze({ endStream: true });

export class H2Response extends StreamEvents {
  statusCode = 200;
  /** Headers set with setHeader before the head is written (the proxy's own answers). */
  private pending: OutgoingHttpHeaders | undefined;
  /** Trailers added with addTrailers, sent when node:http2 asks for them. */
  trailers: OutgoingHttpHeaders | undefined;
  /** Whether the head went out with waitForTrailers (until then: whether it may). */
  private trailersPossible = true;

  /**
   * `acceptsTrailers`: the client sent `te: trailers` (every gRPC client does). Without it, a response
   * whose length is known (Content-Length) and that has no trailers yet is sent without waiting for
   * any: trailers an upstream adds later are dropped, as RFC 9110 §6.5.1 lets a recipient that did
   * not ask for them be treated.
   */
  constructor(stream: H2ServerStream, private readonly acceptsTrailers = true) {
    super(stream);
    (stream as Owned)[RESPONSE] = this;
    stream.once('wantTrailers', sendTrailers);
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  /** The stream was reset or closed: nothing more can be sent. */
  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  get writableEnded(): boolean {
    return this.stream.writableEnded;
  }

  get writableFinished(): boolean {
    return this.stream.writableFinished;
  }

  /** HTTP/2 streams have no connection-level keep-alive to turn off. */
  get shouldKeepAlive(): boolean {
    return true;
  }

  set shouldKeepAlive(_v: boolean) {}

  setHeader(name: string, value: string | number | readonly string[]): this {
    (this.pending ??= {})[name.toLowerCase()] = value as string;
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.pending?.[name.toLowerCase()];
  }

  /** Status and headers (flat `[name, value, ...]` or a record) on top of those set with setHeader. */
  writeHead(status: number, headers?: readonly string[] | OutgoingHttpHeaders): this {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return this;
    this.statusCode = status;
    const head = this.head(headers);
    this.trailersPossible = this.acceptsTrailers || this.trailers !== undefined || head['content-length'] === undefined;
    stream.respond(head, this.trailersPossible ? RESPOND_OPEN : RESPOND_PLAIN);
    return this;
  }

  /** `cb` runs once the chunk was handed to the connection (or the stream is gone). */
  write(chunk: Buffer | string, cb?: (err?: Error | null) => void): boolean {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) {
      if (cb !== undefined) process.nextTick(cb);
      return false;
    }
    if (!stream.headersSent) this.writeHead(this.statusCode);
    return stream.write(chunk, cb);
  }

  end(chunk?: Buffer | string): this {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) return this;
    if (!stream.headersSent) {
      if ((chunk === undefined || chunk.length === 0) && this.trailers === undefined) {
        // Trailers-Only for gRPC refusals; a bodiless local answer otherwise.
        stream.respond(this.head(undefined), RESPOND_ENDED);
        return this;
      }
      this.writeHead(this.statusCode);
    }
    if (chunk === undefined || chunk.length === 0) stream.end();
    else stream.end(chunk);
    return this;
  }

  addTrailers(trailers: Readonly<Record<string, string>>): void {
    if (!this.trailersPossible) return;
    const out = (this.trailers ??= {});
    for (const name in trailers) out[name.toLowerCase()] = trailers[name];
  }

  /** Answers a client's `Expect: 100-continue`. */
  writeContinue(): void {
    const stream = this.stream;
    if (!stream.headersSent && !stream.destroyed && !stream.closed) stream.additionalHeaders({ ':status': 100 });
  }

  /** Resets the stream (a response that cannot be completed). */
  destroy(err?: Error): void {
    if (!this.stream.destroyed) this.stream.destroy(err);
  }


  /** The HEADERS block: :status, the setHeader ones, then `headers` (repeated names become lists). */
  private head(headers: readonly string[] | OutgoingHttpHeaders | undefined): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = this.pending === undefined ? {} : { ...this.pending };
    out[':status'] = this.statusCode;
    if (headers === undefined) return out;
    if (!Array.isArray(headers)) {
      for (const name in headers) setField(out, name.toLowerCase(), (headers as OutgoingHttpHeaders)[name]);
      return out;
    }
    const flat = headers as readonly string[];
    // Fields given here replace those set with setHeader, as on node:http.
    if (this.pending !== undefined) for (let i = 0; i < flat.length; i += 2) delete out[flat[i]!.toLowerCase()];
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!.toLowerCase();
      // node:http2 refuses connection-specific fields; node:http2's compatibility response drops this one.
      if (name === 'connection') continue;
      const value = flat[i + 1]!;
      const had = out[name];
      if (had === undefined) out[name] = value;
      else if (Array.isArray(had)) had.push(value);
      else out[name] = [String(had), value];
    }
    return out;
  }
}

function setField(out: OutgoingHttpHeaders, name: string, value: OutgoingHttpHeaders[string]): void {
  if (name !== 'connection' && value !== undefined) out[name] = value;
}
