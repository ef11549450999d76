// Request bodies over the limit answer 413 SLUICE_PAYLOAD_TOO_LARGE, whether the client declares
// the length or streams the body; the server goes on serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from '../../control-plane/src/api/api-server.js';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';

let api: TestApi;
let small: TestApi;
before(async () => {
  api = await TestApi.start();
  small = await TestApi.start({ kind: 'embedded' }, { maxBodyBytes: 2048 });
});
after(async () => {
  await api.stop();
  await small.stop();
});

/** A valid apply body of about `bytes` bytes (padded beside `resources`, which the API ignores). */
function paddedApply(bytes: number): string {
  const doc = { kind: 'Cluster', name: 'big', endpoints: [{ address: '127.0.0.1', port: 19081 }] };
  const base = JSON.stringify({ resources: [doc] });
  return base.slice(0, -1) + ',"pad":"' + 'x'.repeat(Math.max(0, bytes - base.length - 9)) + '"}';
}

test('the default limit is 16 MiB: a body just over it answers 413 naming the limit and flag, and stores nothing', async () => {
  assert.equal(DEFAULT_MAX_BODY_BYTES, 16 * 1024 * 1024);
  const res = await api.request('POST', '/v1/apply', { body: paddedApply(DEFAULT_MAX_BODY_BYTES + 1024) });
  assert.equal(res.status, 413);
  assert.equal(res.body.code, 'SLUICE_PAYLOAD_TOO_LARGE');
  assert.equal(res.body.message, `the request body is larger than the limit of ${DEFAULT_MAX_BODY_BYTES} bytes (the control plane's --max-body-bytes); raise it, or send smaller requests`);
  assert.match(res.headers.get('sluice-revision') ?? '', /^\d+$/);
  assert.equal((await api.get('/v1/clusters/big')).status, 404);
});

test('a body under the limit is applied', async () => {
  const body = paddedApply(2000);
  assert.ok(body.length > 1900 && body.length <= 2048);
  const res = await small.request('POST', '/v1/apply', { body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal((await small.get('/v1/clusters/big')).status, 200);
});

test('a streamed (chunked) body over the limit answers 413 too', async () => {
  const { port } = small.controlPlane.apiListenAddress;
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/apply', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (let i = 0; i < 8; i++) req.write('x'.repeat(512));
    req.end();
  });
  assert.equal(answer.status, 413);
  assert.equal(JSON.parse(answer.body).code, 'SLUICE_PAYLOAD_TOO_LARGE');
});

test('the server keeps serving after refusing large bodies', async () => {
  for (let i = 0; i < 3; i++) {
    assert.equal((await small.request('POST', '/v1/apply', { body: paddedApply(10_000) })).status, 413);
  }
  const ok = await small.put('/v1/clusters/after-413', { kind: 'Cluster', name: 'after-413', endpoints: [{ address: '127.0.0.1', port: 19081 }] });
  assert.equal(ok.status, 201);
});
