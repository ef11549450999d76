// A draining listener (the proxy stopping, here MeshProxy.close()) sends GOAWAY (RFC 9113 §6.8): the
// streams it has started finish with their whole response, and a stream the client opens afterwards,
// above the GOAWAY's last stream id, is not processed (RST_STREAM REFUSED_STREAM, or ignored as the
// RFC allows): it never reaches the upstream, so the client may safely retry it elsewhere. Then the
// connection closes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { startInProcess } from './support/h2-listener.js';
import { FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client, sleep } from './support/raw-h2-client.js';

test('drain: GOAWAY, the open stream finishes, a new stream above the last id is refused, then close', { timeout: 20_000 }, async (t) => {
  const { port, upstream, close } = await startInProcess(t, (req, res) => {
    req.resume();
    if (req.url === '/slow') setTimeout(() => res.end('slow done'), 800);
    else res.end(`served ${req.url}`);
  });
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.request(1, getRequest('/slow'));
  await until('the slow request at the upstream', () => upstream.seen.some((r) => r.url === '/slow'), 3000);

  const draining = close();
  // Graceful shutdown may first send GOAWAY with 2^31-1 (RFC 9113 §6.8) and the real last id later.
  const goaway = await client.waitForFrame((f) => f.type === FrameType.GOAWAY && f.payload.readUInt32BE(0) !== 0x7fff_ffff, 3000, 'GOAWAY with the last stream id');
  const lastStreamId = goaway.payload.readUInt32BE(0) & 0x7fff_ffff;
  assert.equal(h2ErrorName(goaway.payload.readUInt32BE(4)), 'NO_ERROR');
  assert.ok(lastStreamId >= 1, `stream 1 was started, yet the GOAWAY's last stream id is ${lastStreamId}`);

  const late = Math.max(3, lastStreamId + 2);
  client.request(late, getRequest('/after-goaway'));
  const one = await client.waitForStreamEnd(1, 3000);
  assert.equal(one.status, 200);
  assert.equal(one.body.toString(), 'slow done');
  // Give the late stream time to be (wrongly) served before looking.
  await sleep(300);
  const lateOutcome = client.outcome(late);
  assert.equal(lateOutcome.status, undefined, `the stream opened after GOAWAY was answered ${lateOutcome.status}`);
  if (lateOutcome.rstCode !== undefined) assert.equal(h2ErrorName(lateOutcome.rstCode), h2ErrorName(H2ErrorCode.REFUSED_STREAM));
  assert.ok(!upstream.seen.some((r) => r.url === '/after-goaway'), 'the stream opened after GOAWAY reached the upstream');

  assert.ok(await client.waitForClose(5000), `the connection is still open after its last stream: ${client.describe(4)}`);
  await draining;
});
