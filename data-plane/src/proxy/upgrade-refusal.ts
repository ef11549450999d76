// An upstream's refusal of a WebSocket upgrade (401, 404, or a 200 from a server that does not speak
// WebSocket) passed on to the client as one framed response, after which both connections close. The
// upstream's connection may stay open for keep-alive, so its end cannot mark the answer's end: the
// answer's own framing does (RFC 9112 §6.3), and the framing header the head parser took out as
// hop-by-hop (Transfer-Encoding) is written back, since the body bytes are relayed as they came.
import type { Socket } from 'node:net';
import { ChunkedDecoder } from '../protocols/http1/chunked-decoder.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';

/**
 * Writes `headText` (status line and end-to-end headers, each ending in CRLF), then the body from
 * `rest` and `upstream`. Resolves once the body is complete (the client's connection is then ended),
 * cut short (the client's is destroyed), the client went away, or nothing moved for `idleTimeoutMs`.
 */
export function relayRefusal(client: Socket, upstream: Socket, head: ResponseHead, headText: string, rest: Buffer, idleTimeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (complete: boolean): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      upstream.destroy();
      if (complete) client.end();
      else client.destroy();
      resolve();
    };
    const idle = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (idleTimeoutMs > 0) timer = setTimeout(() => finish(false), idleTimeoutMs);
    };
    const forward = (bytes: Buffer): void => {
      if (bytes.length > 0 && !client.write(bytes)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    };

    client.write(`${headText}${head.framing === 'chunked' ? 'transfer-encoding: chunked\r\n' : ''}connection: close\r\n\r\n`);
    let remaining = head.contentLength;
    const decoder = head.framing === 'chunked' ? new ChunkedDecoder() : undefined;
    const take = (chunk: Buffer): void => {
      idle();
      if (head.framing === 'length') {
        const piece = chunk.subarray(0, remaining);
        remaining -= piece.length;
        forward(piece);
        if (remaining === 0) finish(true);
      } else if (decoder !== undefined) {
        const result = decoder.decode(chunk, () => {});
        forward(result === 'done' ? chunk.subarray(0, chunk.length - (decoder.leftover?.length ?? 0)) : chunk);
        if (result !== 'more') finish(result === 'done');
      } else {
        forward(chunk);
      }
    };
    if (head.framing === 'none' || (head.framing === 'length' && remaining === 0)) {
      finish(true);
      return;
    }
    client.on('close', () => finish(false));
    client.on('error', () => finish(false));
    // A close-delimited body ends when the upstream closes; any other ending there cuts it short.
    upstream.on('end', () => finish(head.framing === 'close'));
    upstream.on('close', () => finish(head.framing === 'close'));
    upstream.on('error', () => finish(false));
    upstream.on('data', take);
    if (rest.length > 0) take(rest);
    if (!finished) {
      idle();
      upstream.resume();
    }
  });
}
