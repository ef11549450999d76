// Reads a request body whole before an upstream is picked (nginx's proxy_request_buffering): a client
// that sends slowly then holds a connection and a little memory, never an upstream connection nor a
// slot of the cluster's circuit breaker; and the body, kept in memory, can be replayed on a retry.
// Bodies longer than the listener's bodyBufferBytes (by Content-Length, or once that many bytes came
// for one of unknown length) are streamed, as are gRPC requests and routes with streamRequestBody.
import { ProxyError, ProxyErrorCode, toProxyError } from '../errors.js';
import { isGrpc } from '../protocols/grpc.js';
import { BodyIdleTimer } from './body-idle-timer.js';
import { noteBodyBytes } from './body-gc-pacer.js';
import type { ProxyHttp } from './proxy-http.js';
import type { Session } from './session.js';

/** Whether to read the body before the first try (an unknown length is read up to the buffer's size). */
export function buffersBody(session: Session): boolean {
  const limit = session.bodyBufferBytes;
  if (limit <= 0 || session.bodyLength === 0 || session.bodyLength > limit) return false;
  // gRPC streams messages both ways: holding the first ones back could stall the call.
  return !isGrpc(session);
}

/**
 * Reads the body into `session.bufferedBody` (passed through `requestBodyFilter`, once). When more
 * than `bodyBufferBytes` arrives, what was read is put back into the request stream, which is left
 * paused, and the body is streamed from its start. Resolves with the error that ends the request:
 * 413 over maxRequestBodyBytes, 408 request-body-timeout, or the client going away.
 */
export function bufferRequestBody<CTX>(session: Session, app: ProxyHttp<CTX>, ctx: CTX): Promise<ProxyError | undefined> {
  return new Promise((resolve) => {
    const req = session.req;
    const limit = session.bodyBufferBytes;
    const idleMs = session.listener.bodyIdleTimeoutMs;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (error: ProxyError | undefined): void => {
      if (done) return;
      done = true;
      idle.stop();
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('close', onClose);
      resolve(error);
    };
    const onData = (chunk: Buffer): void => {
      idle.touch();
      bytes += chunk.length;
      session.bytesReceived += chunk.length;
      noteBodyBytes(chunk.length);
      if (session.bytesReceived > session.maxRequestBodyBytes) {
        finish(new ProxyError(ProxyErrorCode.BodyTooLarge, `request body over ${session.maxRequestBodyBytes} bytes`));
        return;
      }
      chunks.push(chunk);
      if (bytes > limit) {
        // Longer than the buffer: stream it instead, from its first byte (UpstreamTry reads it again).
        req.pause();
        session.bytesReceived -= bytes;
        req.unshift(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
        finish(undefined);
      }
    };
    const onEnd = (): void => {
      session.bodyEnded = true;
      try {
        session.bufferedBody = filtered(session, app, ctx, chunks);
        finish(undefined);
      } catch (err) {
        finish(toProxyError(err));
      }
    };
    const onClose = (): void => finish(new ProxyError(ProxyErrorCode.DownstreamReset, 'client closed the connection while sending the request body'));
    const idle = new BodyIdleTimer(idleMs, () => finish(new ProxyError(ProxyErrorCode.RequestBodyTimeout, `no request body byte for ${idleMs} ms`)));
    session.continueBody();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

function filtered<CTX>(session: Session, app: ProxyHttp<CTX>, ctx: CTX, chunks: Buffer[]): Buffer[] {
  const filter = app.requestBodyFilter;
  if (filter === undefined) return chunks;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const data = filter.call(app, session, chunk, false, ctx);
    if (data !== undefined) out.push(data);
  }
  const tail = filter.call(app, session, undefined, true, ctx);
  if (tail !== undefined) out.push(tail);
  return out;
}
