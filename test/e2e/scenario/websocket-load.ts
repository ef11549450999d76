// WebSocket load (the `ws` client): sessions of a few seconds, one message every 100 ms, every echo
// checked, then a close handshake (1000). A session is good when all its echoes came back and it
// closed cleanly with 1000; a tunnel cut by the proxy shows as 1006 (no close frame).
import WebSocket from 'ws';
import { describe, LaneCounters } from './lane-counters.js';

export interface WebSocketTarget {
  readonly address: string;
  readonly port: () => number | undefined;
  readonly hostHeader: string;
}

/** One session: its problem (undefined when good), and the client's local port once upgraded. */
function session(target: WebSocketTarget, port: number, messages: number): Promise<{ problem: string | undefined; localPort?: number }> {
  return new Promise((done) => {
    const ws = new WebSocket(`ws://${target.address}:${port}/echo`, { headers: { host: target.hostHeader }, handshakeTimeout: 10_000 });
    let localPort: number | undefined;
    ws.once('upgrade', (res) => (localPort = res.socket.localPort));
    const resolve = (problem: string | undefined): void => done({ problem, localPort });
    let sent = 0;
    let got = 0;
    let wrong: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      timer = setInterval(() => {
        if (sent === messages) {
          clearInterval(timer);
          // Wait for the last echoes: close once every message came back (or after 5 s).
          const deadline = Date.now() + 5000;
          const closeWhenDone = (): void => {
            if (got === messages || Date.now() > deadline) ws.close(1000, 'done');
            else setTimeout(closeWhenDone, 20);
          };
          closeWhenDone();
          return;
        }
        ws.send(`m${sent++}`);
      }, 100);
    });
    ws.on('message', (data) => {
      if (data.toString() !== `m${got}`) wrong ??= `echo ${got} was ${data.toString()}`;
      got++;
    });
    ws.on('unexpected-response', (_req, res) => {
      clearInterval(timer);
      resolve(`upgrade answered ${res.statusCode} ${res.headers['x-sluice-error'] ?? ''}`);
      ws.terminate();
    });
    ws.on('error', (err) => {
      clearInterval(timer);
      wrong ??= describe(err);
    });
    ws.on('close', (code) => {
      clearInterval(timer);
      if (wrong !== undefined) resolve(wrong);
      else if (code !== 1000) resolve(`closed with ${code} after ${got} of ${messages} echoes`);
      else if (got !== messages) resolve(`${got} of ${messages} echoes`);
      else resolve(undefined);
    });
  });
}

export async function runWebSocketLane(lane: LaneCounters, target: WebSocketTarget, options: { sessions: number; sessionMs: number; running: () => boolean }): Promise<void> {
  const loop = async (): Promise<void> => {
    while (options.running()) {
      const port = target.port();
      if (port === undefined) return;
      lane.started++;
      const startedAt = Date.now();
      const { problem, localPort } = await session(target, port, Math.max(1, Math.round(options.sessionMs / 100)));
      if (problem === undefined) lane.succeeded({ startedAt, localPort });
      else lane.fail(`websocket ${problem}`, /1006|ECONNRESET|socket hang up|ECONNREFUSED/.test(problem), { startedAt, localPort });
    }
  };
  await Promise.all(Array.from({ length: options.sessions }, loop));
}
