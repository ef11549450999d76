// Framing errors are connection errors (RFC 9113 §5.4.1): the listener sends GOAWAY with the code the
// RFC names, then closes the connection. DATA on stream 0 (§6.1: PROTOCOL_ERROR); SETTINGS whose
// length is not a multiple of 6 (§6.5: FRAME_SIZE_ERROR); a HEADERS frame longer than the 16,384-byte
// SETTINGS_MAX_FRAME_SIZE (§4.2: FRAME_SIZE_ERROR); HEADERS on an even, server-side stream id and on a
// stream id lower than one already used (§5.1.1: PROTOCOL_ERROR); WINDOW_UPDATE of 0 on stream 0 (§6.9:
// PROTOCOL_ERROR); and a connection window pushed past 2^31-1 (§6.9.1: FLOW_CONTROL_ERROR). The same
// overflow on one stream's window is a stream error: RST_STREAM FLOW_CONTROL_ERROR, connection kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { dataFrame, frame, FrameFlag, FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client, windowUpdateFrame } from './support/raw-h2-client.js';

interface Case {
  readonly name: string;
  readonly code: number;
  /** Writes the offending frames (after the preface, SETTINGS and a round trip). */
  send(client: RawH2Client): Promise<void> | void;
}

const CASES: readonly Case[] = [
  { name: 'DATA on stream 0', code: H2ErrorCode.PROTOCOL_ERROR, send: (c) => void c.write(dataFrame(0, 'oops')) },
  { name: 'SETTINGS of 7 bytes', code: H2ErrorCode.FRAME_SIZE_ERROR, send: (c) => void c.write(frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(7))) },
  {
    name: 'a 16,385-byte HEADERS frame',
    code: H2ErrorCode.FRAME_SIZE_ERROR,
    send: (c) => void c.write(frame(FrameType.HEADERS, FrameFlag.END_HEADERS | FrameFlag.END_STREAM, 1, Buffer.concat([c.encoder.encode(getRequest('/big')), Buffer.alloc(16_385, 0)]).subarray(0, 16_385))),
  },
  { name: 'HEADERS on even stream 2', code: H2ErrorCode.PROTOCOL_ERROR, send: (c) => c.request(2, getRequest('/even')) },
  {
    name: 'HEADERS on stream 3 after stream 5',
    code: H2ErrorCode.PROTOCOL_ERROR,
    send: async (c) => {
      c.request(5, getRequest('/five'));
      await c.waitForStreamEnd(5, 3000);
      c.request(3, getRequest('/three'));
    },
  },
  { name: 'WINDOW_UPDATE of 0 on stream 0', code: H2ErrorCode.PROTOCOL_ERROR, send: (c) => void c.write(windowUpdateFrame(0, 0)) },
  { name: 'connection window past 2^31-1', code: H2ErrorCode.FLOW_CONTROL_ERROR, send: (c) => void c.write(windowUpdateFrame(0, 0x7fff_ffff)) },
];

// The cases are independent (a proxy and a connection each) and mostly wait: they run at once.
describe('framing errors are connection errors', { concurrency: true }, () => {
  for (const c of CASES) {
    test(`${c.name}: GOAWAY ${h2ErrorName(c.code)}, then the connection closes`, { timeout: 10_000 }, async (t) => {
      const { port, upstream } = await startInProcess(t);
      const client = await RawH2Client.connect(port);
      t.after(() => client.destroy());
      await client.roundTrip();
      await c.send(client);
      const goaway = await client.maybeFrame((f) => f.type === FrameType.GOAWAY, 2000);
      const closed = await client.waitForClose(2000);
      const g = client.goaways()[0];
      assert.ok(goaway !== undefined, `no GOAWAY; ${client.describe(6)}`);
      assert.equal(h2ErrorName(g!.code), h2ErrorName(c.code), `GOAWAY code; ${client.describe(6)}`);
      assert.ok(closed, 'the connection closes after the GOAWAY');
      assert.ok(upstream.seen.every((r) => r.url === '/five'), `reached the upstream: ${upstream.seen.map((r) => r.url).join(' ')}`);
    });
  }
});

test('a stream window pushed past 2^31-1: RST_STREAM FLOW_CONTROL_ERROR, the connection keeps serving', { timeout: 10_000 }, async (t) => {
  const { port } = await startInProcess(t, (req, res) => {
    // Holds the response until the request's connection (the stream) is gone.
    req.resume();
    res.writeHead(200);
    res.write('started');
  });
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.request(1, getRequest('/held'));
  await client.waitForFrame((f) => f.streamId === 1 && f.type === FrameType.HEADERS, 3000, 'the response head');
  client.write(windowUpdateFrame(1, 0x7fff_ffff));
  const rst = await client.waitForFrame((f) => (f.streamId === 1 && f.type === FrameType.RST_STREAM) || f.type === FrameType.GOAWAY, 3000, 'RST_STREAM on stream 1');
  assert.equal(rst.type, FrameType.RST_STREAM, client.describe(4));
  assert.equal(h2ErrorName(rst.payload.readUInt32BE(0)), 'FLOW_CONTROL_ERROR');
  client.request(3, getRequest('/after'));
  await client.waitForFrame((f) => f.streamId === 3 && f.type === FrameType.HEADERS, 3000, 'the next response');
  assert.equal(client.outcome(3).status, 200);
});
