// Requests node:http refuses before they reach a route (request line and headers over its 16 KiB
// limit, malformed HTTP/1.1) get the same JSON error body as every other refusal, not node's bare
// status line, so clients can rely on `{code, message, errors}` for every 4xx.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ControlPlaneError, ErrorCode } from '../errors.js';

export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, revision: number): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (inFlight?.headersSent ?? false)) {
    socket.destroy();
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // As node:http answers it: the client stopped sending, there is nothing to report on.
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    return;
  }
  const error = err.code === 'HPE_HEADER_OVERFLOW'
    ? new ControlPlaneError(ErrorCode.HeadersTooLarge, 'the request line and headers are larger than the server takes', {
      errors: [{ path: 'request', message: 'request line and headers are over 16 KiB' }],
    })
    : new ControlPlaneError(ErrorCode.BadRequest, 'the request is not valid HTTP/1.1', { errors: [{ path: 'request', message: `is not valid HTTP/1.1 (${err.code ?? err.message})` }] });
  const body = JSON.stringify(error.toJSON());
  socket.end(
    `HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nsluice-revision: ${revision}\r\n\r\n${body}`,
  );
}
