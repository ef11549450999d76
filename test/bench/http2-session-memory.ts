// The floor under the control plane's memory per proxy: what one idle node:http2 connection with one
// open stream costs a server, with no gRPC library and no per-proxy state. A bare node:http2 server
// in its own process (the glibc settings of the control plane's image) takes N client connections,
// each holding a stream open after one small DATA frame each way, as a discovery stream does; its RSS
// and V8 heap+external after GC, before and after, divided by N. Settings that shrink nghttp2's per-session
// buffers are tried too, to show whether any lowers the floor, and a bare @grpc/grpc-js server.
//
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/http2-session-memory.js [N]
import { fork } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';

interface Usage {
  readonly rss: number;
  readonly heap: number;
  readonly streams: number;
}

const N = Number(process.argv[2] ?? 3000);

if (process.argv[2] === 'serve') {
  let streams = 0;
  const options = JSON.parse(process.argv[3]!) as http2.ServerOptions & { grpc?: boolean };
  if (options.grpc === true) {
    // The same through @grpc/grpc-js's server (the discovery server's transport), with a handler
    // that holds the call open and keeps nothing.
    const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    const identity = (b: Buffer): Buffer => b;
    server.addService({ Stream: { path: '/sluice.v1.DiscoveryService/Stream', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } }, {
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        streams++;
        call.write(Buffer.alloc(200));
        call.on('data', () => {});
      },
    });
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_err, port) => process.send!({ port }));
  } else {
    const server = http2.createServer(options);
    server.on('stream', (stream) => {
      streams++;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(Buffer.alloc(200));
      stream.on('data', () => {});
    });
    server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  }
  const gc = (globalThis as { gc?: () => void }).gc!;
  process.on('message', () => {
    for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    process.send!({ rss: m.rss, heap: m.heapUsed + m.external, streams } satisfies Usage);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const variants: Array<[string, http2.ServerOptions]> = [
    ['node:http2 defaults', {}],
    ['smallest windows, no header tables, 1 MiB session memory', { maxSessionMemory: 1, maxDeflateDynamicTableSize: 0, settings: { headerTableSize: 0, initialWindowSize: 16384, maxConcurrentStreams: 4 } }],
    ['@grpc/grpc-js server, a handler that keeps nothing', { grpc: true } as http2.ServerOptions],
  ];
  console.log(`| server | connections | RSS per connection (KB) | heap+external per connection (KB) |\n| --- | --: | --: | --: |`);
  for (const [name, options] of variants) {
    const row = await measure(options);
    console.log(`| ${name} | ${row.streams} | ${(row.rssKb).toFixed(1)} | ${row.heapKb.toFixed(1)} |`);
  }
  process.exit(0);
}

async function measure(options: http2.ServerOptions): Promise<{ streams: number; rssKb: number; heapKb: number }> {
  const server = fork(fileURLToPath(import.meta.url), ['serve', JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' },
  });
  const next = <T>(): Promise<T> => new Promise((resolve) => server.once('message', (m) => resolve(m as T)));
  const usage = async (): Promise<Usage> => {
    const answer = next<Usage>();
    server.send('usage');
    return await answer;
  };
  const { port } = await next<{ port: number }>();
  await new Promise((r) => setTimeout(r, 300));
  const before = await usage();
  const sessions: http2.ClientHttp2Session[] = [];
  for (let i = 0; i < N; i++) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': '/sluice.v1.DiscoveryService/Stream', 'content-type': 'application/grpc', te: 'trailers', authorization: 'Bearer bench-token-0123456789' }, { endStream: false });
    stream.write(Buffer.alloc(200));
    stream.on('data', () => {});
    stream.on('error', () => {});
    sessions.push(session);
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
  }
  const deadline = Date.now() + 30_000;
  let after = await usage();
  while (after.streams < N && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    after = await usage();
  }
  await new Promise((r) => setTimeout(r, 1000));
  after = await usage();
  for (const s of sessions) s.destroy();
  server.kill();
  return { streams: after.streams, rssKb: (after.rss - before.rss) / N / 1024, heapKb: (after.heap - before.heap) / N / 1024 };
}
