// One HTTP/1.1 request to 127.0.0.1 with node:http and a fresh connection, read to the end: the way
// tests ask a process that may not be listening yet (or any more), so "nothing answered" is a value
// (undefined), not an error.
import { request } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface HttpOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Idle time on the socket before giving up; default 2000 ms. */
  readonly timeoutMs?: number;
}

/** The answer of http://127.0.0.1:port/path; undefined when nothing answers (refused, reset, timed out). */
export function httpAnswer(port: number, path: string, options: HttpOptions = {}): Promise<HttpAnswer | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, timeout: options.timeoutMs ?? 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(options.body);
  });
}
