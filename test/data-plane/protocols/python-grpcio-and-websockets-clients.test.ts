// Independent clients from Debian: python3-grpcio (gRPC's C core) calls a @grpc/grpc-js server
// through the proxy (all four call kinds and a proxy-made UNIMPLEMENTED), and python3-websockets
// talks to a ws server through it. Skipped when /usr/bin/python3 lacks the modules.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';
import { startGrpcServer } from '../helpers/grpc-echo.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

function hasModules(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import grpc, websockets'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const GRPC_CLIENT = `
import grpc, json, sys
port = sys.argv[1]
def channel(authority):
    return grpc.insecure_channel('127.0.0.1:' + port, options=[('grpc.default_authority', authority)])
ch = channel('grpc.local')
enc = lambda n: json.dumps({'n': n}).encode()
dec = lambda b: json.loads(b)['n']
out = {}
out['unary'] = dec(ch.unary_unary('/test.Echo/Unary')(enc(21), timeout=5))
out['server'] = len(list(ch.unary_stream('/test.Echo/ServerStream')(enc(300), timeout=5)))
out['client'] = dec(ch.stream_unary('/test.Echo/ClientStream')(iter([enc(i) for i in range(1, 101)]), timeout=5))
out['bidi'] = [dec(m) for m in ch.stream_stream('/test.Echo/Bidi')(iter([enc(1), enc(2), enc(3)]), timeout=5)]
try:
    ch.unary_unary('/test.Echo/Unary')(enc(-1), timeout=5)
except grpc.RpcError as e:
    out['notFound'] = [e.code().name, e.details()]
try:
    channel('nowhere.local').unary_unary('/test.Echo/Unary')(enc(1), timeout=5)
except grpc.RpcError as e:
    out['noRoute'] = e.code().name
print(json.dumps(out))
`;

const WS_CLIENT = `
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect('ws://127.0.0.1:' + sys.argv[1] + '/py', max_size=4 << 20) as ws:
        first = await ws.recv()
        await ws.send(b'x' * (1 << 20))
        big = await ws.recv()
        pong = await ws.ping(b'p')
        await asyncio.wait_for(pong, 5)
        await ws.close(code=4002, reason='bye')
        print(json.dumps({'first': first, 'big': len(big), 'closeCode': ws.close_code}))
asyncio.run(main())
`;

test('python3-grpcio and python3-websockets through the proxy', async (t) => {
  // npm test installs them (test/run-tests.ts); a missing module is a failed set-up, not a skip.
  assert.ok(hasModules(), `${PYTHON} cannot import grpc and websockets: apt-get install -y python3-grpcio python3-websockets`);
  const { port: grpcPort, server } = await startGrpcServer();
  t.after(() => server.forceShutdown());
  const http = createServer();
  const wss = new WebSocketServer({ server: http, maxPayload: 4 << 20 });
  wss.on('connection', (ws) => {
    ws.send('hi');
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    http.close();
  });
  const mesh = await startMesh(
    `
kind: Cluster
name: greeter
protocol: H2C
endpoints: [{address: 127.0.0.1, port: {{grpc}}}]
---
kind: Cluster
name: ws
endpoints: [{address: 127.0.0.1, port: {{ws}}}]
---
kind: Route
name: greeter
hosts: ["grpc.local"]
match: {pathPrefix: /test.Echo/}
forward: {cluster: greeter}
---
kind: Route
name: ws
hosts: ["127.0.0.1"]
match: {pathPrefix: /}
forward: {cluster: ws}
`,
    { grpc: grpcPort, ws: (http.address() as AddressInfo).port },
  );
  t.after(() => mesh.close());

  const g = JSON.parse((await run(PYTHON, ['-c', GRPC_CLIENT, String(mesh.port())], { timeout: 30_000 })).stdout) as Record<string, unknown>;
  assert.deepEqual(g, { unary: 42, server: 300, client: 5050, bidi: [2, 3, 4], notFound: ['NOT_FOUND', 'no such thing'], noRoute: 'UNIMPLEMENTED' });

  const w = JSON.parse((await run(PYTHON, ['-c', WS_CLIENT, String(mesh.port())], { timeout: 30_000 })).stdout) as Record<string, unknown>;
  assert.deepEqual(w, { first: 'hi', big: 1 << 20, closeCode: 4002 });
});
