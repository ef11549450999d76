// One HTTP/2 request as the proxy engine reads it, straight from node:http2's core stream: the members
// of node:http's IncomingMessage that Session, the body buffer and UpstreamTry use, and nothing else.
// The body is the stream's own readable side (no second Readable copying it, as node:http2's
// compatibility request has), so pause/resume/unshift act on the stream and its flow-control window.
import type { IncomingHttpHeaders } from 'node:http2';
import type { H2ServerStream } from './h2-server-stream.js';
import type { Socket } from 'node:net';
import { StreamEvents } from './stream-events.js';

export class H2Request extends StreamEvents {
  constructor(
    /** The stream; Session reads `endAfterHeaders` (no body), the listener `session.close()` (GOAWAY). */
    stream: H2ServerStream,
    readonly headers: IncomingHttpHeaders,
    /** `[name, value, ...]` as received, pseudo-headers included (Session counts and reads them). */
    readonly rawHeaders: string[],
    /** The connection's own socket (TLSSocket over TLS): remote address, `encrypted`, the peer certificate. */
    readonly socket: Socket,
  ) {
    super(stream);
  }

  get method(): string {
    return this.headers[':method'] as string;
  }

  /** The :path pseudo-header: the request target in origin form. */
  get url(): string {
    return (this.headers[':path'] as string | undefined) ?? '/';
  }

  get httpVersionMajor(): number {
    return 2;
  }

  get httpVersionMinor(): number {
    return 0;
  }

  get httpVersion(): string {
    return '2.0';
  }


  pause(): this {
    this.stream.pause();
    return this;
  }

  resume(): this {
    this.stream.resume();
    return this;
  }

  isPaused(): boolean {
    return this.stream.isPaused();
  }

  /** Puts body bytes back in front of the stream's (request-body-buffer.ts, switching to streaming). */
  unshift(chunk: Buffer): void {
    this.stream.unshift(chunk);
  }
}
