// WebSocket through the mesh proxy (HTTP/1.1 Upgrade): the handshake is routed by the same hooks,
// frames pass both ways (text, 1 MiB binary, ping/pong, close codes), hundreds of sockets at once,
// a route's refusal reaches the client as an HTTP answer, and an idle tunnel is closed.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { startMesh } from '../helpers/mesh-fixture.js';

const CONFIG = `
kind: Cluster
name: ws
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: ws
hosts: ["ws.local"]
match: {pathPrefix: /}
forward: {cluster: ws}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
---
kind: Listener
name: short-idle
address: 127.0.0.1
port: 0
limits: {idleTimeoutMs: 300}
`;

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

test('WebSocket: echo text and 1 MiB frames, ping/pong, close codes, 1,000 sockets, refusals, idle timeout', async (t) => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, maxPayload: 4 << 20 });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers['x-forwarded-for']} ${req.url}`);
    ws.on('message', (data, binary) => {
      if (!binary && data.toString() === 'close-me') ws.close(4001, 'asked to');
      else ws.send(data, { binary });
    });
  });
  await new Promise<void>((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    http.close();
  });
  const mesh = await startMesh(CONFIG, { up: (http.address() as AddressInfo).port });
  t.after(() => mesh.close());
  const url = (path: string, listener = 'main') => `ws://127.0.0.1:${mesh.port(listener)}${path}`;

  const ws = new WebSocket(url('/chat?room=1'), { headers: { host: 'ws.local' }, maxPayload: 4 << 20 });
  const messages: (string | Buffer)[] = [];
  const next = (): Promise<string | Buffer> =>
    new Promise((resolve) => {
      if (messages.length > 0) return resolve(messages.shift()!);
      ws.once('message', () => resolve(messages.shift()!));
    });
  ws.on('message', (data: Buffer, binary) => messages.push(binary ? data : data.toString()));
  await opened(ws);
  assert.equal(await next(), 'hello 127.0.0.1 /chat?room=1');
  ws.send('text frame');
  assert.equal(await next(), 'text frame');
  const big = Buffer.alloc(1 << 20, 7);
  big[12345] = 1;
  ws.send(big);
  const back = (await next()) as Buffer;
  assert.equal(back.length, 1 << 20);
  assert.ok(back.equals(big));
  const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
  ws.ping('are you there');
  assert.equal((await pong).toString(), 'are you there');
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  ws.send('close-me');
  assert.deepEqual(await closed, [4001, 'asked to']);

  // 1,000 sockets at once, each echoing its own message.
  const many = Array.from({ length: 1000 }, () => new WebSocket(url('/many'), { headers: { host: 'ws.local' } }));
  t.after(() => many.forEach((s) => s.terminate()));
  const answers = await Promise.all(
    many.map(
      (s, i) =>
        new Promise<string>((resolve, reject) => {
          let first = true;
          s.on('message', (d) => {
            if (first) {
              first = false;
              s.send(`m${i}`);
            } else resolve(d.toString());
          });
          s.on('error', reject);
        }),
    ),
  );
  assert.deepEqual(answers, Array.from({ length: 1000 }, (_, i) => `m${i}`));
  many.forEach((s) => s.close());

  // No route: the handshake is answered 404 by the proxy.
  const refused = new WebSocket(url('/x'), { headers: { host: 'elsewhere.local' } });
  refused.on('error', () => {});
  const status = await new Promise<number>((resolve) =>
    refused.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    }),
  );
  assert.equal(status, 404);

  // Idle timeout: a silent tunnel is closed by the proxy (listener idleTimeoutMs 300).
  const idle = new WebSocket(url('/idle', 'short-idle'), { headers: { host: 'ws.local' } });
  await opened(idle);
  const started = Date.now();
  await new Promise((resolve) => idle.once('close', resolve));
  const after = Date.now() - started;
  assert.ok(after >= 250 && after < 3000, `closed after ${after} ms`);
});
