// The proxy's answer written straight to a socket, for refusals made before node:http built a
// response (bad framing, header timeouts): status line, `connection: close`, the cause as header and body.

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' };

export function rawAnswer(status: number, cause: string): string {
  const body = `${cause}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
    `x-sluice-error: ${cause}\r\ncontent-length: ${body.length}\r\n\r\n${body}`
  );
}
