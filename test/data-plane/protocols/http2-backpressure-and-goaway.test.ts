// HTTP/2 downstream under pressure: a client that stops reading holds the upstream back (flow
// control end to end, nothing buffered without bound), a 64 MiB upload goes through, and a draining
// listener sends GOAWAY while the stream in flight still completes.
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session } from 'node:http2';
import { test } from 'node:test';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';

const MiB = 1 << 20;
const CONFIG = `
kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: up
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: up}
`;

test('HTTP/2: a paused reader pauses the upstream; 64 MiB upload; GOAWAY on drain with the stream in flight finishing', async (t) => {
  let written = 0;
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(64 * MiB) });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (written < 64 * MiB) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === '/slow') {
      setTimeout(() => res.end('slow done'), 400);
      return;
    }
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.end(String(bytes)));
  });
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  let closed = false;
  t.after(() => (closed ? undefined : mesh.close()));
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${mesh.port()}`);
  t.after(() => session.destroy());

  // A reader that stops: the upstream is held back after the windows and socket buffers fill.
  const big = session.request({ ':path': '/big' });
  let received = 0;
  big.on('data', (c: Buffer) => {
    received += c.length;
    if (received < 256 * 1024) return;
    big.pause();
  });
  await new Promise((r) => setTimeout(r, 800));
  assert.ok(written < 24 * MiB, `upstream wrote ${written} bytes to a client that stopped at ${received}`);
  big.resume();
  big.removeAllListeners('data');
  big.on('data', (c: Buffer) => (received += c.length));
  await new Promise((resolve) => big.on('end', resolve));
  assert.equal(received, 64 * MiB);

  // Upload of 64 MiB with flow control toward the upstream.
  const up = session.request({ ':path': '/upload', ':method': 'POST' });
  let answer = '';
  up.on('data', (c: Buffer) => (answer += c.toString()));
  const sent = (async () => {
    const chunk = Buffer.alloc(MiB, 2);
    for (let i = 0; i < 64; i++) if (!up.write(chunk)) await new Promise((r) => up.once('drain', r));
    up.end();
  })();
  await sent;
  await new Promise((resolve) => up.on('end', resolve));
  assert.equal(answer, String(64 * MiB));

  // Drain with a stream in flight: GOAWAY arrives, the stream completes.
  const slow = session.request({ ':path': '/slow' });
  let slowBody = '';
  slow.on('data', (c: Buffer) => (slowBody += c.toString()));
  await new Promise((r) => setTimeout(r, 100));
  const goaway = new Promise((resolve) => session.once('goaway', resolve));
  closed = true;
  const draining = mesh.close();
  await goaway;
  await new Promise((resolve) => slow.on('end', resolve));
  assert.equal(slowBody, 'slow done');
  await draining;
});
