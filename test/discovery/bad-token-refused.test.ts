// Discovery streams are authenticated: a wrong or missing bearer token is refused with UNAUTHENTICATED
// before anything is sent, and a stream that does not name its node is refused too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { cluster, RawStream, sleep, startMesh, startProxy, type Replica } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  await cp.api.apply([cluster('secret-cluster')]);
});

after(async () => {
  await mesh?.stop();
});

test('a stream with a wrong token is refused with UNAUTHENTICATED and gets no configuration', async () => {
  const stream = new RawStream(cp.address, 'not-the-token');
  try {
    stream.send({ node: { id: 'intruder' }, type: 'Cluster', subscribe: ['*'] });
    const s = await stream.status;
    assert.equal(s.code, status.UNAUTHENTICATED, s.details);
    assert.equal(stream.responses.length, 0);
  } finally {
    stream.close();
  }
  assert.equal((await cp.api.get('/v1/proxies')).body.proxies.length, 0);
});

test('a stream without a token is refused with UNAUTHENTICATED', async () => {
  const stream = new RawStream(cp.address, null);
  try {
    stream.send({ node: { id: 'anonymous' }, type: 'Cluster', subscribe: ['*'] });
    assert.equal((await stream.status).code, status.UNAUTHENTICATED);
  } finally {
    stream.close();
  }
});

test('the client library reports UNAUTHENTICATED and applies nothing', async () => {
  const proxy = await startProxy([cp.address], { nodeId: 'wrong-token', token: 'also-wrong' });
  const codes: number[] = [];
  proxy.client.on('disconnected', (_a, err) => codes.push((err as { code?: number } | undefined)?.code ?? -1));
  try {
    await until('a refusal', () => codes.length > 0, 8_000);
    assert.equal(codes[0], status.UNAUTHENTICATED);
    await sleep(100);
    assert.equal(proxy.applied.length, 0);
  } finally {
    await proxy.stop();
  }
});

test('a first request without node.id is refused with INVALID_ARGUMENT', async () => {
  const stream = new RawStream(cp.address);
  try {
    stream.send({ type: 'Cluster', subscribe: ['*'] });
    assert.equal((await stream.status).code, status.INVALID_ARGUMENT);
    assert.equal(stream.responses.length, 0);
  } finally {
    stream.close();
  }
});
