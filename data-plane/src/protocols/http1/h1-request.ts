// One bodiless HTTP/1.x request as the proxy's own reader (h1-downstream.ts) hands it to the engine:
// the members of node:http's IncomingMessage that Session, UpstreamTry and the hooks read, and nothing
// else. Requests with a body never get here: node:http reads those.
import type { Socket } from 'node:net';
import { HeaderList } from '../header-list.js';
import type { SimpleRequestHead } from './simple-request-head.js';

/** The members of node:http's IncomingMessage that the engine reads from a request without a body. */
export class H1Request {
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  private fields: Record<string, string> | undefined;

  constructor(head: SimpleRequestHead, readonly socket: Socket) {
    this.method = head.method;
    this.url = head.url;
    this.httpVersionMinor = head.minor;
    this.rawHeaders = head.rawHeaders;
  }

  get httpVersion(): string {
    return this.httpVersionMinor === 1 ? '1.1' : '1.0';
  }

  /** node:http's header object (lowercase names, repeats joined), made when first asked for. */
  get headers(): Record<string, string> {
    return (this.fields ??= new HeaderList(this.rawHeaders.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v))).toObject());
  }

  // The body is empty and already over: 'end' comes at once, nothing else ever does.
  on(event: string, listener: () => void): this {
    if (event === 'end') process.nextTick(listener);
    return this;
  }

  once(event: string, listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(): this {
    return this;
  }

  pause(): this {
    return this;
  }

  resume(): this {
    return this;
  }
}
