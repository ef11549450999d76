// An H2C upstream's response headers reach an HTTP/1.1 client as the upstream sent them: each
// repeated field on its own line, in the upstream's order (node:http2's header object would join them
// into one comma-separated value, and set-cookie must never be joined).
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { request } from 'node:http';
import { test } from 'node:test';
import { startMesh } from '../helpers/mesh-fixture.js';

const CONFIG = `kind: Listener
name: main
address: 127.0.0.1
port: 0
---
kind: Cluster
name: up
protocol: H2C
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: up
hosts: ["*"]
forward: {cluster: up}
`;

test('an H2C upstream keeps repeated response headers apart and in order', async (t) => {
  const upstream = createServer();
  upstream.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders) => {
    // An array value goes out as one field line per element, in order.
    stream.respond({ ':status': 200, 'set-cookie': ['a=1', 'b=2'], 'x-multi': ['first', 'second'], 'content-type': 'text/plain' });
    stream.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: (upstream.address() as { port: number }).port });
  t.after(() => mesh.close());

  const raw = await new Promise<string[]>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: mesh.port(), path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.rawHeaders));
    });
    req.on('error', reject);
    req.end();
  });
  const values = (name: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
    return out;
  };
  assert.deepEqual(values('set-cookie'), ['a=1', 'b=2']);
  assert.deepEqual(values('x-multi'), ['first', 'second']);
  assert.deepEqual(values('content-type'), ['text/plain']);
});
