// Reads a request body up to a byte limit: 413 SLUICE_PAYLOAD_TOO_LARGE beyond it, decided from
// Content-Length when the client sends one, without buffering the excess.
import type { IncomingMessage } from 'node:http';
import { ControlPlaneError, ErrorCode } from '../errors.js';

/** `limitSource`: what sets the limit, for the 413's message. */
export async function readRequestBody(req: IncomingMessage, limitBytes: number, limitSource = "the control plane's --max-body-bytes"): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes, limitSource);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(limitBytes, limitSource);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(limitBytes: number, limitSource: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.PayloadTooLarge,
    `the request body is larger than the limit of ${limitBytes} bytes (${limitSource}); raise it, or send smaller requests`);
}
