// Against a real peer, nghttp2 inside node:http2, on one connection so the dynamic tables are used:
// its response blocks (caught by a TCP tap between a node:http2 client and server) decode with our
// decoder to exactly the list node's client read; and request blocks from our encoder, sent on a raw
// h2c socket, reach a node:http2 server as exactly the fields we sent, also after it shrinks its table.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../../data-plane/src/errors.js';
import { HpackDecoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';

const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const SETTINGS_HEADER_TABLE_SIZE = 0x1;

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** Splits bytes into whole frames; returns what is left of an incomplete last frame. */
function readFrames(bytes: Buffer, frames: Frame[]): Buffer {
  let pos = 0;
  while (bytes.length - pos >= 9) {
    const length = bytes.readUIntBE(pos, 3);
    if (bytes.length - pos < 9 + length) break;
    frames.push({
      type: bytes[pos + 3]!,
      flags: bytes[pos + 4]!,
      stream: bytes.readUInt32BE(pos + 5) & 0x7fffffff,
      payload: bytes.subarray(pos + 9, pos + 9 + length),
    });
    pos += 9 + length;
  }
  return bytes.subarray(pos);
}

/** HEADERS + CONTINUATIONs joined into blocks, padding and priority removed, in order. */
function headerBlocks(frames: Frame[]): Buffer[] {
  const blocks: Buffer[] = [];
  let parts: Buffer[] = [];
  for (const f of frames) {
    if (f.type === FRAME_HEADERS) {
      let p = f.payload;
      let padding = 0;
      if (f.flags & FLAG_PADDED) {
        padding = p[0]!;
        p = p.subarray(1);
      }
      if (f.flags & FLAG_PRIORITY) p = p.subarray(5);
      parts = [p.subarray(0, p.length - padding)];
    } else if (f.type === FRAME_CONTINUATION) {
      parts.push(f.payload);
    } else {
      continue;
    }
    if (f.flags & FLAG_END_HEADERS) blocks.push(Buffer.concat(parts));
  }
  return blocks;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}

function responseHeaders(i: number): http2.OutgoingHttpHeaders {
  return {
    ':status': i % 5 === 4 ? 404 : 200,
    'content-type': 'application/grpc',
    'grpc-encoding': 'identity',
    'x-repeat': ['first', 'second', 'first'],
    'x-request': `response-${i}`,
    'cache-control': i % 2 === 0 ? 'private' : 'no-cache',
    'set-cookie': [`id=${i}; Path=/`, 'theme=dark'],
    'x-long': 'L'.repeat(i % 3 === 0 ? 1500 : 90),
    date: `Mon, 21 Oct 2013 20:13:${String(10 + i).padStart(2, '0')} GMT`,
  };
}

test('node:http2 response blocks decode to the fields node itself read, across a connection', async (t) => {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.respond(responseHeaders(Number(String(headers[':path']).slice(1))), { endStream: true });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const serverPort = (server.address() as net.AddressInfo).port;

  const fromServer: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const tap = net.createServer((client) => {
    const upstream = net.connect(serverPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      fromServer.push(Buffer.from(chunk));
      client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  tap.listen(0, '127.0.0.1');
  await once(tap, 'listening');
  const session = http2.connect(`http://127.0.0.1:${(tap.address() as net.AddressInfo).port}`);
  t.after(() => {
    session.destroy();
    for (const s of sockets) s.destroy();
    tap.close();
    server.close();
  });

  const seen: string[][] = [];
  for (let i = 0; i < 12; i++) {
    const req = session.request({ ':path': `/${i}` });
    req.end();
    req.resume();
    const [, , raw] = (await once(req, 'response')) as [unknown, number, string[]];
    seen.push(raw);
    await once(req, 'close');
  }

  const blocks = headerBlocks((() => {
    const frames: Frame[] = [];
    readFrames(Buffer.concat(fromServer), frames);
    return frames;
  })());
  assert.equal(blocks.length, 12);
  const decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 65536, maxHeaderCount: 100, errorCode: ProxyErrorCode.UpstreamProtocol });
  blocks.forEach((block, i) => assert.deepEqual(decoder.decode(block), seen[i], `response ${i}`));
  // nghttp2 indexed the repeated fields: later blocks are much smaller than the first.
  assert.ok(blocks[7]!.length < blocks[1]!.length / 2, `${blocks[7]!.length} vs ${blocks[1]!.length}`);
  assert.ok(decoder.tableSize > 0);
});

function requestHeaders(i: number, port: number): string[] {
  const list = [
    ':method', 'POST', ':scheme', 'http', ':path', `/pkg.Service/Method${i % 3}`, ':authority', `127.0.0.1:${port}`,
    'content-type', 'application/grpc', 'te', 'trailers', 'user-agent', 'sluice-test/1.0', 'grpc-timeout', `${100 + i}m`,
    'x-repeat', 'one', 'x-repeat', 'two', 'x-repeat', 'one',
    'authorization', `Bearer token-${i % 2}`, 'cookie', 'a=1', 'cookie', `session=${'s'.repeat(30)}`,
  ];
  if (i % 4 === 0) list.push('x-big', 'B'.repeat(1800));
  if (i % 3 === 0) list.push(`x-new-${i}`, `value-${i}`);
  list.push('x-empty', '');
  return list;
}

async function sendRequests(t: { after(fn: () => void): void }, serverSettings: http2.Settings): Promise<void> {
  const server = http2.createServer({ settings: serverSettings });
  const seen = new Map<number, string[]>();
  server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    seen.set(stream.id!, raw);
    stream.respond({ ':status': 200 }, { endStream: true });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => {
    socket.destroy();
    server.close();
  });
  await once(socket, 'connect');

  const encoder = new HpackEncoder();
  let pending: Buffer = Buffer.alloc(0);
  let settingsSeen!: () => void;
  const settings = new Promise<void>((resolve) => (settingsSeen = resolve));
  socket.on('data', (chunk: Buffer) => {
    const frames: Frame[] = [];
    pending = readFrames(Buffer.concat([pending, chunk]), frames);
    for (const f of frames) {
      if (f.type !== FRAME_SETTINGS || f.flags & FLAG_ACK) continue;
      for (let p = 0; p + 6 <= f.payload.length; p += 6) {
        if (f.payload.readUInt16BE(p) === SETTINGS_HEADER_TABLE_SIZE) encoder.setPeerMaxTableSize(f.payload.readUInt32BE(p + 2));
      }
      socket.write(frame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0)));
      settingsSeen();
    }
  });
  socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0))]));
  await settings;

  const sent = new Map<number, string[]>();
  const sizes: number[] = [];
  for (let i = 0; i < 16; i++) {
    const stream = 2 * i + 1;
    const list = requestHeaders(i, port);
    const block = encoder.encode(list);
    sizes.push(block.length);
    sent.set(stream, list);
    socket.write(frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, stream, block));
  }
  const deadline = Date.now() + 5000;
  while (seen.size < sent.size && Date.now() < deadline && !socket.destroyed) await new Promise((r) => setTimeout(r, 10));
  for (const [stream, list] of sent) assert.deepEqual(seen.get(stream), list, `stream ${stream}`);
  // Requests 5 and 1 have the same indexed fields; with room in the table the later one is smaller.
  if ((serverSettings.headerTableSize ?? 4096) >= 4096) assert.ok(sizes[5]! < sizes[1]!, `${sizes}`);
}

test('requests from our encoder reach a node:http2 server as exactly the fields sent', async (t) => {
  await sendRequests(t, {});
});

test('the same after the server lowers its header table to 256 bytes, and to 0', async (t) => {
  await sendRequests(t, { headerTableSize: 256 });
  await sendRequests(t, { headerTableSize: 0 });
});
