// Requests node:http refuses before routing (a request line and headers over 16 KiB, malformed
// HTTP/1.1) are answered with the API's JSON error body, like every other refusal, and the connection
// is closed; the server goes on serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';

let api: TestApi;
before(async () => {
  api = await TestApi.start();
});
after(async () => {
  await api.stop();
});

/** Writes `raw`, resolves with everything the server sent once it closed. */
function exchange(raw: string): Promise<string> {
  const { port } = api.controlPlane.apiListenAddress;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no close within 10 s')));
    socket.write(raw);
  });
}

function parse(text: string): { status: number; headers: string; body: any } {
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: text.slice(0, split).toLowerCase(), body: JSON.parse(text.slice(split + 4)) };
}

test('a resource name past the 16 KiB header limit: 431 SLUICE_HEADERS_TOO_LARGE in JSON', async () => {
  const res = parse(await exchange(`PUT /v1/clusters/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Length: 0\r\n\r\n`));
  assert.equal(res.status, 431);
  assert.match(res.headers, /content-type: application\/json/);
  assert.match(res.headers, /connection: close/);
  assert.equal(res.body.code, 'SLUICE_HEADERS_TOO_LARGE');
  assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['request']);
});

test('malformed HTTP/1.1: 400 SLUICE_BAD_REQUEST in JSON', async () => {
  const res = parse(await exchange('GET /v1/clusters HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
  assert.equal(res.status, 400);
  assert.equal(res.body.code, 'SLUICE_BAD_REQUEST');
  assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['request']);
  assert.match(res.body.errors[0].message, /^is not valid HTTP\/1\.1 \(HPE_/);
  assert.equal((await api.get('/v1/clusters')).status, 200, 'still serving');
});
