// What an HTTP/2 client learns from the listener's first frames (docs/data-plane.md, "HTTP/2
// settings"): SETTINGS_MAX_CONCURRENT_STREAMS 128 (nginx's http2_max_concurrent_streams),
// SETTINGS_INITIAL_WINDOW_SIZE 256 KiB (Envoy's default stream window), no server push
// (SETTINGS_ENABLE_PUSH absent or 0: a server may only say 0), a WINDOW_UPDATE on stream 0 that opens
// the connection window from the protocol's 65,535 bytes to 4 MiB, and an ACK of the client's SETTINGS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameFlag, FrameType, RawH2Client, SettingId } from './support/raw-h2-client.js';
import { startInProcess } from './support/h2-listener.js';

test('the listener advertises 128 streams, a 256 KiB stream window, no push, opens the connection window to 4 MiB and ACKs our SETTINGS', { timeout: 15_000 }, async (t) => {
  const { port } = await startInProcess(t);
  const client = await RawH2Client.connect(port, { settings: [[SettingId.ENABLE_PUSH, 0], [SettingId.INITIAL_WINDOW_SIZE, 65_535]] });
  t.after(() => client.destroy());

  const first = await client.waitForFrame(() => true, 3000, 'the server preface');
  assert.equal(first.type, FrameType.SETTINGS, 'the server preface is a SETTINGS frame (RFC 9113 §3.4)');
  assert.equal(first.flags & FrameFlag.ACK, 0);
  assert.equal(first.streamId, 0);
  const settings = client.serverSettings()!;
  assert.equal(settings.get(SettingId.MAX_CONCURRENT_STREAMS), 128, 'SETTINGS_MAX_CONCURRENT_STREAMS');
  assert.equal(settings.get(SettingId.INITIAL_WINDOW_SIZE), 262_144, 'SETTINGS_INITIAL_WINDOW_SIZE');
  assert.ok(!settings.has(SettingId.ENABLE_PUSH) || settings.get(SettingId.ENABLE_PUSH) === 0, `SETTINGS_ENABLE_PUSH is ${settings.get(SettingId.ENABLE_PUSH)}`);
  const frameSize = settings.get(SettingId.MAX_FRAME_SIZE);
  assert.ok(frameSize === undefined || frameSize >= 16_384, `SETTINGS_MAX_FRAME_SIZE ${frameSize}`);

  const update = await client.waitForFrame((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0, 3000, 'WINDOW_UPDATE on stream 0');
  assert.equal(65_535 + update.payload.readUInt32BE(0), 4 * 1024 * 1024, 'the connection window after the update');

  await client.waitForFrame((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlag.ACK) !== 0, 3000, 'SETTINGS ACK');
  // Nothing else on the connection: no GOAWAY, no stream frames, and it stays open.
  await client.roundTrip();
  assert.deepEqual(client.frames.filter((f) => f.streamId !== 0 || f.type === FrameType.GOAWAY), []);
  assert.equal(client.closed, false);
});
