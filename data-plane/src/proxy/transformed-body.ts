// A response body on its way downstream through a filter's Transform (responseBodyTransform, e.g.
// compression): upstream chunks are written into the Transform and its output goes to the client,
// with backpressure both ways, so the body is never held whole. A slow client pauses the
// Transform's output; a full Transform makes `write` return false, which pauses the upstream.
import type { ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import type { Session } from './session.js';

/** Whether a response to `method` with `status` carries a body at all (RFC 9110 §6.4.1). */
export function responseHasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
}

export interface TransformedBodyEvents {
  /** `write` returned false earlier and the Transform can take more now. */
  drain(): void;
  /** The Transform's last byte went to the client and the response was ended. */
  done(): void;
  /** The Transform failed; the response cannot be completed. */
  error(err: Error): void;
}

export class TransformedBody {
  private waiting = false;
  private readonly res: ServerResponse;
  private readonly resumeOutput = (): void => {
    this.transform.resume();
  };

  constructor(private readonly transform: Transform, session: Session, events: TransformedBodyEvents) {
    const res = (this.res = session.res);
    transform.on('data', (chunk: Buffer) => {
      session.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        transform.pause();
        res.once('drain', this.resumeOutput);
      }
    });
    transform.on('drain', () => {
      if (!this.waiting) return;
      this.waiting = false;
      events.drain();
    });
    transform.once('end', () => {
      res.end();
      events.done();
    });
    transform.once('error', (err: Error) => events.error(err));
  }

  /** Writes a piece of upstream body; false: wait for the `drain` event before writing more. */
  write(chunk: Buffer): boolean {
    if (this.transform.write(chunk)) return true;
    this.waiting = true;
    return false;
  }

  /** The upstream body is complete: the Transform flushes what it holds, then the response ends. */
  end(): void {
    this.transform.end();
  }

  /** Stops at once (the client or the upstream went away): frees what the Transform holds. */
  destroy(): void {
    this.res.removeListener('drain', this.resumeOutput);
    this.transform.destroy();
  }
}
