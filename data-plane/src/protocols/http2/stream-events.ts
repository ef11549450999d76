// The event methods of the HTTP/2 request and response the engine uses ('data', 'end', 'close',
// 'drain'): they are the stream's own events, so a listener goes straight onto the stream and is
// removed by identity, with no EventEmitter of their own and no re-emitting.
import type { H2ServerStream } from './h2-server-stream.js';

type Listener = (...args: any[]) => void;

export abstract class StreamEvents {
  constructor(readonly stream: H2ServerStream) {}

  on(event: string, listener: Listener): this {
    this.stream.on(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    this.stream.once(event, listener);
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    this.stream.removeListener(event, listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    return this.removeListener(event, listener);
  }
}
