// A client that opens every flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 2^31-1 and a connection
// WINDOW_UPDATE to match) and then never reads its socket: no DATA ever waits for window, so a stall
// check that watches only body queued for window sees nothing wrong, while the proxy's socket buffer
// fills and every stream (and its upstream request) is held for ever. The listener's idleTimeoutMs
// must end such a connection: nothing it wrote moved for that long. Seen from the proxy's side (a
// paused client socket does not see the FIN): each upstream response is closed before it finished,
// within about two idle timeouts of the stall.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { startInProcess } from './support/h2-listener.js';
import { getRequest, RawH2Client, SettingId, settingsFrame, windowUpdateFrame } from './support/raw-h2-client.js';
import { CLIENT_PREFACE } from '../../../data-plane/src/protocols/http2/codec/frame.js';

const MiB = 1 << 20;
const BODY_BYTES = 16 * MiB;
const IDLE_TIMEOUT_MS = 500;
const STREAMS = 4;
const MAX_WINDOW = 0x7fff_ffff;

interface Upstream {
  path: string;
  written: number;
  /** When the response closed, and whether it had finished by then. */
  closedAt?: number;
  finished?: boolean;
}

test('a client with every window open that never reads loses its connection within about two idle timeouts', { timeout: 20_000 }, async (t) => {
  const responses: Upstream[] = [];
  const { port } = await startInProcess(
    t,
    (req, res: ServerResponse) => {
      req.resume();
      const r: Upstream = { path: req.url ?? '', written: 0 };
      responses.push(r);
      res.on('close', () => {
        r.closedAt = performance.now();
        r.finished = res.writableFinished;
      });
      res.writeHead(200, { 'content-length': String(BODY_BYTES) });
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      const pump = (): void => {
        while (r.written < BODY_BYTES && !res.destroyed) {
          r.written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    },
    `{idleTimeoutMs: ${IDLE_TIMEOUT_MS}, headerTimeoutMs: 20000, drainTimeoutMs: 1000}`,
  );
  const client = await RawH2Client.connect(port, { preface: false });
  t.after(() => client.destroy());
  // Never read: nothing the proxy sends is taken off the client's socket.
  client.socket.pause();
  const requests: Buffer[] = [];
  for (let i = 0; i < STREAMS; i++) requests.push(client.headers(2 * i + 1, getRequest(`/big/${i}`)));
  client.write(CLIENT_PREFACE, settingsFrame([[SettingId.INITIAL_WINDOW_SIZE, MAX_WINDOW]]), windowUpdateFrame(0, MAX_WINDOW - 65_535), ...requests);

  await until(() => `all ${STREAMS} requests at the upstream (${responses.length} so far)`, () => responses.length === STREAMS, 5000);
  // The stall: the upstream's writes stop moving (socket buffers full on every hop).
  let last = -1;
  await until(() => `the upstream's writes to stall (${responses.map((r) => r.written).join(', ')})`, async () => {
    const now = responses.reduce((a, r) => a + r.written, 0);
    const stalled = now === last || responses.every((r) => r.closedAt !== undefined);
    last = now;
    await new Promise((r) => setTimeout(r, 100));
    return stalled;
  }, 5000);
  const stalledAt = performance.now();
  const total = responses.reduce((a, r) => a + r.written, 0);
  assert.ok(total < STREAMS * BODY_BYTES || responses.some((r) => r.finished === false), 'every response went out whole: the client took nothing, so the socket buffers should have filled');

  // The proxy ends the connection: every upstream response still unfinished is closed, not left hanging.
  const budget = 2 * IDLE_TIMEOUT_MS + 2500;
  const describe = (): string => responses.map((r) => `${r.path}: ${r.written} B written, ${r.closedAt === undefined ? 'open' : r.finished ? 'finished' : `closed unfinished at +${(r.closedAt - stalledAt).toFixed(0)} ms`}`).join('; ');
  await until(() => `every upstream response to close within ${budget} ms of the stall: ${describe()}`, () => responses.every((r) => r.closedAt !== undefined), budget);
  t.diagnostic(describe());
  const unfinished = responses.filter((r) => r.finished === false);
  assert.ok(unfinished.length > 0, `no upstream response was cut short: ${describe()}`);
});
