// HTTP/2 rapid reset (CVE-2023-44487): a client opens a stream and resets it at once, thousands of
// times over, never having more than one open, so SETTINGS_MAX_CONCURRENT_STREAMS never stops it while
// each stream still costs the proxy a request (and maybe an upstream try). Envoy and nginx end such a
// connection (GOAWAY ENHANCE_YOUR_CALM, or a close) after a bounded number of resets; so must Sluice,
// well within 20,000, and the proxy process stays up: another client's GET is served afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshGet, startInChild } from './support/h2-listener.js';
import { FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client, rstStreamFrame } from './support/raw-h2-client.js';

const MAX_RESETS = 20_000;
const BATCH = 500;

test('a client that opens and resets streams in a loop is cut off within 20,000 resets; the proxy keeps serving', { timeout: 40_000 }, async (t) => {
  const { port, upstream, alive, proxy } = await startInChild(t);
  const client = await RawH2Client.connect(port, { keepFrames: false });
  t.after(() => client.destroy());
  await client.roundTrip().catch(() => {});

  let sent = 0;
  let stream = 1;
  const started = performance.now();
  while (sent < MAX_RESETS && !client.closed && client.goaways().length === 0) {
    const frames: Buffer[] = [];
    for (let i = 0; i < BATCH; i++, stream += 2) frames.push(client.headers(stream, getRequest('/reset')), rstStreamFrame(stream, H2ErrorCode.CANCEL));
    sent += BATCH;
    if (!client.write(...frames) && !(await client.drained(3000))) break;
    // Paced by round trips, so that the flood stops soon after the server reacts (and the test stays
    // light): a server that has stopped answering PINGs has stopped serving the connection too.
    const answered = await client.roundTrip(2000).then(
      () => true,
      () => false,
    );
    if (!answered) break;
  }
  const stillAnswers = !client.closed && (await client.roundTrip(1000).then(
    () => true,
    () => false,
  ));
  const goaway = client.goaways()[0];
  // A GOAWAY may be followed by a close: give it a moment either way.
  const closed = await client.waitForClose(goaway === undefined ? 1000 : 3000);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  t.diagnostic(`resets sent: ${sent} in ${seconds} s; GOAWAY: ${goaway ? `${h2ErrorName(goaway.code)} last=${goaway.lastStreamId}` : 'none'}; closed: ${closed}; PING after the flood answered: ${stillAnswers}; RST_STREAM from the server: ${client.counts.get(FrameType.RST_STREAM) ?? 0}; HEADERS from the server: ${client.counts.get(FrameType.HEADERS) ?? 0}; requests at the upstream: ${upstream.seen.length}`);

  assert.ok(alive(), `the proxy exited:\n${proxy.output().slice(-2000)}`);
  assert.ok(
    closed || goaway?.code === H2ErrorCode.ENHANCE_YOUR_CALM,
    `after ${sent} open-and-reset streams the connection is still served (GOAWAY: ${goaway ? h2ErrorName(goaway.code) : 'none'}, closed: ${closed})`,
  );
  assert.equal(await freshGet(port), 200, 'another client is served');
});
