// Reads what a server sent on one connection as a sequence of HTTP/1.1 responses (RFC 9112 §6:
// Content-Length, chunked, or delimited by the close), and says whether it ends with a whole one.

export interface ResponseStream {
  /** Status of each final (non-1xx) response, in order. */
  readonly statuses: readonly number[];
  /** Why the bytes are not a sequence of complete responses; undefined when they are. */
  readonly problem: string | undefined;
  /** The stream switched protocols (101, or 2xx to CONNECT): bytes after it are not HTTP. */
  readonly switched: boolean;
}

/**
 * Parses `bytes` (everything the server sent until it closed, when `closed`). `methods` are the
 * request methods in order, so a response to HEAD or CONNECT is read without a body.
 */
export function readResponses(bytes: Buffer, methods: readonly string[], closed: boolean): ResponseStream {
  const statuses: number[] = [];
  let at = 0;
  const fail = (problem: string): ResponseStream => ({ statuses, problem: `${problem} at byte ${at}: ${JSON.stringify(bytes.subarray(at, at + 120).toString('latin1'))}`, switched: false });
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (headEnd < 0) return fail('an incomplete response head');
    const head = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] ([1-5]\d\d)(?: [^\r\n]*)?$/.exec(head[0]!);
    if (status === null) return fail('not a status line');
    const code = Number(status[1]);
    const fields = new Map<string, string[]>();
    for (const line of head.slice(1)) {
      const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (m === null) return fail(`a malformed header line ${JSON.stringify(line)}`);
      const name = m[1]!.toLowerCase();
      fields.set(name, [...(fields.get(name) ?? []), m[2]!]);
    }
    at = headEnd + 4;
    const method = methods[Math.min(statuses.length, methods.length - 1)] ?? 'GET';
    if (code === 101 || (method === 'CONNECT' && code >= 200 && code < 300)) return { statuses: [...statuses, code], problem: undefined, switched: true };
    if (code >= 100 && code < 200) continue;
    statuses.push(code);
    const lengths = fields.get('content-length') ?? [];
    const chunked = (fields.get('transfer-encoding') ?? []).some((v) => /chunked\s*$/i.test(v));
    if (lengths.length > 1 || (lengths.length === 1 && chunked)) return fail('ambiguous framing');
    if (code === 204 || code === 304) continue;
    // A HEAD's answer has no body, but damaged bytes can make the server read another method, so the
    // answer's own shape decides: another response (or nothing) right after the head means no body.
    if (method === 'HEAD' && (at === bytes.length || bytes.subarray(at, at + 7).toString('latin1') === 'HTTP/1.')) continue;
    if (chunked) {
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
        if (lineEnd < 0) return fail('an incomplete chunk size line');
        const size = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(bytes.subarray(at, lineEnd).toString('latin1'));
        if (size === null) return fail('a bad chunk size');
        const n = parseInt(size[1]!, 16);
        at = lineEnd + 2;
        if (n === 0) {
          const trailerEnd = bytes.indexOf('\r\n', at, 'latin1');
          // Trailers end with an empty line; without trailers that is the next CRLF.
          const end = trailerEnd === at ? at + 2 : bytes.indexOf('\r\n\r\n', at, 'latin1') + 4;
          if (trailerEnd < 0 || end < at) return fail('an incomplete last chunk');
          at = end;
          break;
        }
        if (bytes.length < at + n + 2) return fail('an incomplete chunk');
        if (bytes.subarray(at + n, at + n + 2).toString('latin1') !== '\r\n') return fail('chunk data not ended by CRLF');
        at += n + 2;
      }
      continue;
    }
    if (lengths.length === 1) {
      if (!/^\d+$/.test(lengths[0]!)) return fail('a bad Content-Length');
      const n = Number(lengths[0]);
      if (bytes.length < at + n) return fail(`a body shorter than its Content-Length ${n}`);
      at += n;
      continue;
    }
    // Neither: the body runs to the close (RFC 9112 §6.3 item 8).
    if (!closed) return fail('a close-delimited body on a connection still open');
    at = bytes.length;
  }
  return { statuses, problem: undefined, switched: false };
}
