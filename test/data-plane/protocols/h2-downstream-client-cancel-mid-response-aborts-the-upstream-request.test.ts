// A client that cancels a stream mid-response (RST_STREAM CANCEL, as a browser does when the user
// navigates away) frees what the stream held upstream: the upstream request is aborted (the fake
// upstream sees its response closed before it ended) within a short time, rather than the proxy
// reading the rest of the upstream's body for nobody. The connection goes on serving other streams.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { startInProcess } from './support/h2-listener.js';
import { FrameType, getRequest, H2ErrorCode, RawH2Client, rstStreamFrame } from './support/raw-h2-client.js';

function streamingUpstream() {
  const state = { closedEarly: [] as string[], finished: [] as string[] };
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    req.resume();
    if (!req.url?.startsWith('/stream')) {
      res.end('ok');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk\n');
    // More every 100 ms, for 10 s: the response is far from its end when the client cancels.
    let n = 0;
    const timer = setInterval(() => {
      if (++n >= 100) {
        clearInterval(timer);
        res.end('last\n');
        return;
      }
      res.write(`chunk ${n}\n`);
    }, 100);
    res.on('close', () => {
      clearInterval(timer);
      (res.writableFinished ? state.finished : state.closedEarly).push(req.url!);
    });
  };
  return { state, handler };
}

test('RST_STREAM CANCEL mid-response aborts the upstream request; the connection goes on', { timeout: 15_000 }, async (t) => {
  const { state, handler } = streamingUpstream();
  const { port } = await startInProcess(t, handler);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.request(1, getRequest('/stream/raw'));
  await client.waitForFrame((f) => f.streamId === 1 && f.type === FrameType.DATA && f.payload.length > 0, 3000, 'the first DATA');
  const cancelledAt = performance.now();
  client.write(rstStreamFrame(1, H2ErrorCode.CANCEL));
  await until(() => `the upstream to see its response closed early (${JSON.stringify(state)})`, () => state.closedEarly.includes('/stream/raw'), 2000);
  t.diagnostic(`upstream aborted ${(performance.now() - cancelledAt).toFixed(0)} ms after the cancel`);
  client.request(3, getRequest('/other'));
  assert.equal((await client.waitForStreamEnd(3, 3000)).status, 200);
  assert.equal(client.goaways().length, 0);
});

test('node:http2 client closing a stream (CANCEL) mid-response aborts the upstream request', { timeout: 15_000 }, async (t) => {
  const { state, handler } = streamingUpstream();
  const { port } = await startInProcess(t, handler);
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  const stream = session.request({ ':path': '/stream/node' });
  stream.on('error', () => {});
  await new Promise<void>((resolve) => stream.once('data', () => resolve()));
  stream.close(H2ErrorCode.CANCEL);
  await until(() => `the upstream to see its response closed early (${JSON.stringify(state)})`, () => state.closedEarly.includes('/stream/node'), 2000);
  assert.deepEqual(state.finished, []);
});
