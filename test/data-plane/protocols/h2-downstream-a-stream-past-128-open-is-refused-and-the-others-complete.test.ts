// SETTINGS_MAX_CONCURRENT_STREAMS is enforced (RFC 9113 §5.1.2): with 128 streams open (their
// upstream holds every response), a 129th HEADERS gets RST_STREAM REFUSED_STREAM (PROTOCOL_ERROR
// allowed too), which tells the client it may retry; the connection is not torn down, the 128 streams
// complete once the upstream answers, and a new stream after them is served.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { startInProcess } from './support/h2-listener.js';
import { FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client } from './support/raw-h2-client.js';

test('stream 129 while 128 are open is refused; the connection survives and the 128 complete', { timeout: 20_000 }, async (t) => {
  const held: ServerResponse[] = [];
  let release = false;
  const { port, upstream } = await startInProcess(t, (req, res) => {
    req.resume();
    if (release) res.end(`done ${req.url}`);
    else held.push(res);
  });
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  // The server's SETTINGS (the limit) apply once acknowledged: wait until our ACK has been read.
  await client.waitForFrame((f) => f.type === FrameType.SETTINGS, 3000, 'server SETTINGS');
  await client.roundTrip();

  const ids = Array.from({ length: 128 }, (_, i) => 1 + 2 * i);
  client.write(...ids.map((id) => client.headers(id, getRequest(`/held/${id}`))));
  await until(() => `128 requests at the upstream (${upstream.seen.length})`, () => upstream.seen.length === 128, 8000);

  const extra = 1 + 2 * 128;
  client.request(extra, getRequest('/one-too-many'));
  const reset = await client.waitForFrame((f) => f.streamId === extra && (f.type === FrameType.RST_STREAM || f.type === FrameType.HEADERS || f.type === FrameType.GOAWAY), 3000, `an answer to stream ${extra}`);
  assert.equal(reset.type, FrameType.RST_STREAM, `stream ${extra}: ${client.describe(5)}`);
  const code = reset.payload.readUInt32BE(0);
  assert.ok(code === H2ErrorCode.REFUSED_STREAM || code === H2ErrorCode.PROTOCOL_ERROR, `reset with ${h2ErrorName(code)}`);
  assert.equal(upstream.seen.length, 128, 'the refused stream never reached the upstream');
  assert.deepEqual(client.goaways(), [], 'no GOAWAY: the connection survives');

  release = true;
  for (const res of held.splice(0)) res.end('released');
  for (const id of ids) {
    const o = await client.waitForStreamEnd(id, 5000);
    assert.equal(o.status, 200, `stream ${id}`);
    assert.equal(o.body.toString(), 'released');
  }
  const after = extra + 2;
  client.request(after, getRequest('/after'));
  const o = await client.waitForStreamEnd(after, 5000);
  assert.equal(o.status, 200);
  assert.equal(o.body.toString(), 'done /after');
  assert.equal(client.closed, false);
});
