// A client of the dashboard's live feed (GET /ui/events) for tests: reads the server-sent events as
// they come (WHATWG HTML 9.2.6's parsing, enough of it: event, data and comment lines) and waits for
// the one a test expects.
import { until } from '../../support/until.js';

export interface FeedEvent {
  readonly event: string;
  readonly data: any;
}

export class EventStream {
  readonly events: FeedEvent[] = [];
  /** Comment lines (heartbeats), as read. */
  readonly comments: string[] = [];
  private ended = false;

  private constructor(readonly status: number, readonly headers: Headers, private readonly abort: AbortController) {}

  /** Opens the feed at `url` with these headers (a cookie or a bearer token); reads until close(). */
  static async open(url: string, headers: Record<string, string>): Promise<EventStream> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10_000);
    const res = await fetch(url, { headers, signal: abort.signal });
    clearTimeout(timer);
    const stream = new EventStream(res.status, res.headers, abort);
    if (res.status !== 200 || res.body === null) {
      stream.body = await res.text();
      stream.ended = true;
      return stream;
    }
    void stream.read(res.body);
    return stream;
  }

  /** The body of an answer that was not a stream (a 401, a 503). */
  body = '';

  get closed(): boolean {
    return this.ended;
  }

  /** The first event named `event` at or after `from` for which `match` holds; waits up to `timeoutMs`. */
  async next(event: string, match: (data: any) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<FeedEvent> {
    return until(() => `a "${event}" event (got ${this.events.slice(from).map((e) => e.event).join(', ') || 'none'})`, () => this.events.slice(from).find((e) => e.event === event && match(e.data)), timeoutMs, 20);
  }

  close(): void {
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        // Search only the new text (and the one character before it) for the blank line that ends an
        // event: large events come in many chunks.
        const scanFrom = Math.max(0, buffered.length - 1);
        buffered += decoder.decode(chunk, { stream: true });
        let start = 0;
        let end = buffered.indexOf('\n\n', scanFrom);
        while (end >= 0) {
          this.parse(buffered.slice(start, end));
          start = end + 2;
          end = buffered.indexOf('\n\n', start);
        }
        if (start > 0) buffered = buffered.slice(start);
      }
    } catch {
      // Aborted by close(), or the server ended the stream.
    }
    this.ended = true;
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) });
  }
}
