// Serializes an HTTP/1.1 request head into one string, written to the socket in one call.
import type { HeaderList } from '../header-list.js';

/** `headers` must already be end-to-end only; framing headers are added by the caller. */
export function serializeRequestHead(method: string, target: string, headers: HeaderList, framing: string): string {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  const raw = headers.raw;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}${framing}\r\n`;
}
