// A WebSocket echo upstream (the `ws` package) that counts sessions and how they ended, so a tunnel
// the proxy cut shows on this side too (close code 1006: no close frame).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface WebSocketEchoUpstream {
  readonly port: number;
  readonly sessions: () => number;
  /** Sessions that ended without a close handshake. */
  readonly abnormal: () => number;
  close(): Promise<void>;
}

export async function startWebSocketEchoUpstream(): Promise<WebSocketEchoUpstream> {
  let sessions = 0;
  let abnormal = 0;
  const server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    sessions++;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code) => {
      if (code === 1006) abnormal++;
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => sessions,
    abnormal: () => abnormal,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
