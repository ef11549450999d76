// Every SETTINGS_INITIAL_WINDOW_SIZE entry walks every open stream, so one 16 KiB SETTINGS frame of
// 2730 entries costs 2730 x open-streams steps and a stream of such frames pins the event loop. As
// nghttp2 since CVE-2020-11080, a SETTINGS frame of more than 32 entries ends the connection with
// GOAWAY ENHANCE_YOUR_CALM; one of exactly 32 is an ordinary SETTINGS frame: acknowledged, and the
// connection keeps serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { FrameFlag, FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client, SettingId, settingsFrame } from './support/raw-h2-client.js';

function entries(n: number): Array<readonly [number, number]> {
  return Array.from({ length: n }, (_v, i) => [SettingId.INITIAL_WINDOW_SIZE, i % 2 === 0 ? 65_535 : 65_534] as const);
}

const acks = (client: RawH2Client): number => client.frames.filter((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlag.ACK) !== 0).length;

for (const n of [33, 2730]) {
  test(`a SETTINGS frame of ${n} entries ends the connection with GOAWAY ENHANCE_YOUR_CALM`, { timeout: 15_000 }, async (t) => {
    const { port } = await startInProcess(t);
    const client = await RawH2Client.connect(port);
    t.after(() => client.destroy());
    await client.roundTrip();
    // A stream open, as in the flood: each entry would walk it.
    client.request(1, getRequest('/open'), false);
    const before = acks(client);
    client.write(settingsFrame(entries(n)));
    const goaway = await client.waitForFrame((f) => f.type === FrameType.GOAWAY, 3000, 'GOAWAY');
    const code = goaway.payload.readUInt32BE(4);
    assert.equal(h2ErrorName(code), h2ErrorName(H2ErrorCode.ENHANCE_YOUR_CALM), client.describe(4));
    assert.ok(await client.waitForClose(3000), `still open after the GOAWAY: ${client.describe(4)}`);
    assert.equal(acks(client), before, `the SETTINGS frame of ${n} entries was acknowledged: ${client.describe(4)}`);
  });
}

test('a SETTINGS frame of 32 entries is acknowledged and the connection keeps serving', { timeout: 15_000 }, async (t) => {
  const { port } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  const from = client.frames.length;
  client.write(settingsFrame(entries(32)));
  await client.waitForFrame((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlag.ACK) !== 0, 3000, 'the SETTINGS ACK', from);
  client.request(1, getRequest('/after-settings'));
  const o = await client.waitForStreamEnd(1, 3000);
  assert.equal(o.status, 200, client.describe(4));
  assert.equal(client.goaways().length, 0, client.describe(4));
});
