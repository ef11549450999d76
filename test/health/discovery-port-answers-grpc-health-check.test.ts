// The control plane's discovery port serves grpc.health.v1.Health/Check: SERVING for the server as a
// whole and for the services on the port once the replica is ready (as /readyz says), NOT_SERVING
// while it is not, NOT_FOUND for a service the port does not serve, and UNIMPLEMENTED for Watch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { grpcHealthService } from '../../control-plane/src/discovery/grpc-health-service.js';
import { discoveryServiceDefinition } from '../../proto/src/wire/service-definition.js';
import { HEALTH_CHECK_METHOD, NOT_SERVING, SERVING } from '../data-plane/helpers/grpc-health-upstream.js';

type Answer = { status: number } | { code: number };

function check(client: grpc.Client, service: string): Promise<Answer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(HEALTH_CHECK_METHOD.path, HEALTH_CHECK_METHOD.requestSerialize, HEALTH_CHECK_METHOD.responseDeserialize, { service }, (err, status) => resolve(err ? { code: err.code } : { status: status! }));
  });
}

test('a started control plane answers Check on its discovery port; Watch is UNIMPLEMENTED', { timeout: 30_000 }, async (t) => {
  const cp = new ControlPlane({ token: 'grpc-health-token', apiListen: { host: '127.0.0.1', port: 0 }, discoveryListen: { host: '127.0.0.1', port: 0 }, log: createLogger({ level: 'error' }) });
  await cp.start();
  t.after(() => cp.stop());
  const client = new grpc.Client(cp.discovery!.address, grpc.credentials.createInsecure());
  t.after(() => client.close());

  assert.deepEqual(await check(client, ''), { status: SERVING });
  assert.deepEqual(await check(client, 'sluice.v1.DiscoveryService'), { status: SERVING });
  assert.deepEqual(await check(client, 'sluice.v1.IdentityService'), { status: SERVING });
  assert.deepEqual(await check(client, 'shop.v1.Cart'), { code: grpc.status.NOT_FOUND });
  const ready = await fetch(`${cp.apiUrl}/readyz`);
  assert.equal(ready.status, 200, '/readyz agrees');

  const watch = await new Promise<grpc.ServiceError>((resolve) => {
    const call = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', HEALTH_CHECK_METHOD.requestSerialize, HEALTH_CHECK_METHOD.responseDeserialize, { service: '' });
    call.on('data', () => undefined);
    call.on('error', resolve);
  });
  assert.equal(watch.code, grpc.status.UNIMPLEMENTED);
});

test('NOT_SERVING while the replica is not ready, SERVING once it is', { timeout: 15_000 }, async (t) => {
  let ready = false;
  const service = grpcHealthService(() => ready, [discoveryServiceDefinition]);
  const server = new grpc.Server();
  server.addService(service.definition, service.implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => client.close());

  assert.deepEqual(await check(client, ''), { status: NOT_SERVING });
  assert.deepEqual(await check(client, 'sluice.v1.DiscoveryService'), { status: NOT_SERVING });
  ready = true;
  assert.deepEqual(await check(client, ''), { status: SERVING });
});
